using System.Text.RegularExpressions;
using Difenn.Testing.Processes;

namespace Difenn.WireGuard.Tests.RepositoryHygiene;

/// <summary>No tracked file may contain something that looks like a WireGuard private key.</summary>
public partial class NoPrivateKeyCommittedTests
{
    // "PrivateKey" or "private_key", a separator (=, :, whitespace, quotes), then 44 base64 characters ending in '='.
    [GeneratedRegex(@"(?i)(private[_ ]?key)[""'\s]*[=:\s][""'\s]*([A-Za-z0-9+/]{43}=)")]
    private static partial Regex KeyPattern();

    [Fact]
    public void Pattern_LineWithKey_Matches()
    {
        var fakeKey = Convert.ToBase64String(new byte[32]);
        Assert.Matches(KeyPattern(), "Private" + "Key = " + fakeKey);
        Assert.Matches(KeyPattern(), "option private" + "_key '" + fakeKey + "'");
        Assert.DoesNotMatch(KeyPattern(), "Private" + "Key = [secret]");
    }

    [Fact]
    public async Task TrackedFiles_Scanned_ContainNoPrivateKey()
    {
        var root = FindRepoRoot();
        var files = (await ProcessRunner.RunAsync("git", ["-C", root, "ls-files", "-z"])).EnsureSuccess("git ls-files").StdOut
            .Split('\0', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(files);
        var offenders = new List<string>();
        foreach (var f in files)
        {
            var path = Path.Combine(root, f);
            if (!File.Exists(path) || new FileInfo(path).Length > 5_000_000) continue;
            var lines = File.ReadAllLines(path);
            for (var i = 0; i < lines.Length; i++)
                if (KeyPattern().IsMatch(lines[i]))
                    offenders.Add($"{f}:{i + 1}");
        }
        Assert.True(offenders.Count == 0, "private keys committed at: " + string.Join(", ", offenders));
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Difenn.Infra.sln"))) return dir.FullName;
        throw new InvalidOperationException("repository root (Difenn.Infra.sln) not found above " + AppContext.BaseDirectory);
    }
}
