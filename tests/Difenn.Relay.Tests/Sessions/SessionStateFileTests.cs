using System.Net;
using Difenn.Relay.Sessions;

namespace Difenn.Relay.Tests.Sessions;

public sealed class SessionStateFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("dfn-state-file-").FullName;

    private string PathOf(string name) => Path.Combine(_dir, name);

    [Fact]
    public void SaveThenLoad_IPv4AndIPv6_RoundTripsAtMillisecondPrecision()
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_764_050_000_123);
        SavedSession[] sessions =
        [
            new("0.0.0.0:51820", IPEndPoint.Parse("203.0.113.7:40312"), 41234, at),
            new("[::]:443", IPEndPoint.Parse("[2001:db8::7]:5353"), 50000, at.AddSeconds(-5)),
        ];
        SessionStateFile.Save(PathOf("s"), sessions);

        var loaded = SessionStateFile.Load(PathOf("s"), out var problems);

        Assert.Empty(problems);
        Assert.Equal(sessions, loaded);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(PathOf("s")));
        Assert.Equal([PathOf("s")], Directory.GetFiles(_dir)); // the temporary file was renamed, not left
    }

    [Fact]
    public void Save_ReplacesTheWholeFile()
    {
        var at = DateTimeOffset.UtcNow;
        SessionStateFile.Save(PathOf("s"), [new("0.0.0.0:51820", IPEndPoint.Parse("198.51.100.1:1000"), 2000, at)]);
        SessionStateFile.Save(PathOf("s"), []);
        Assert.Empty(SessionStateFile.Load(PathOf("s"), out _));
    }

    [Fact]
    public void Load_MissingFile_NoSessionsNoProblems()
    {
        Assert.Empty(SessionStateFile.Load(PathOf("absent"), out var problems));
        Assert.Empty(problems);
    }

    [Fact]
    public void Load_BadLines_SkippedAndNamedByLine()
    {
        File.WriteAllLines(PathOf("s"),
        [
            "# header",
            "0.0.0.0:51820 198.51.100.1:1000 2000 1764050000000",
            "0.0.0.0:51820 198.51.100.1:1000 2000",
            "nowhere 198.51.100.1:1000 2000 1764050000000",
            "0.0.0.0:51820 198.51.100.1 2000 1764050000000",
            "0.0.0.0:51820 198.51.100.1:1000 70000 1764050000000",
            "0.0.0.0:51820 198.51.100.1:1000 2000 yesterday",
        ]);

        var loaded = SessionStateFile.Load(PathOf("s"), out var problems);

        Assert.Single(loaded);
        Assert.Collection(problems,
            p => Assert.StartsWith("line 3: expected 4 fields", p),
            p => Assert.StartsWith("line 4: listener 'nowhere'", p),
            p => Assert.StartsWith("line 5: client '198.51.100.1'", p),
            p => Assert.StartsWith("line 6: upstream port '70000'", p),
            p => Assert.StartsWith("line 7: last-active 'yesterday'", p));
    }

    [Fact]
    public void Load_NotASessionTableAtAll_NamesTheFirstProblemsAndCountsTheRest()
    {
        File.WriteAllLines(PathOf("s"), Enumerable.Range(0, 100).Select(i => $"junk {i}"));

        var loaded = SessionStateFile.Load(PathOf("s"), out var problems);

        Assert.Empty(loaded);
        Assert.Equal(SessionStateFile.MaxProblemsNamed + 1, problems.Count);
        Assert.StartsWith("line 1: ", problems[0]);
        Assert.Equal("80 more line(s) skipped", problems[^1]);
    }

    [Fact]
    public void Save_DirectoryGone_ThrowsAndLeavesNothing()
    {
        var gone = Path.Combine(_dir, "gone", "s");
        Assert.ThrowsAny<IOException>(() => SessionStateFile.Save(gone, []));
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void Load_FileLargerThanCap_IgnoredWithOneProblem()
    {
        using (var f = File.Create(PathOf("s"))) f.SetLength(SessionStateFile.MaxBytes + 1); // sparse: no disk used

        var loaded = SessionStateFile.Load(PathOf("s"), out var problems);

        Assert.Empty(loaded);
        Assert.Contains("ignored", Assert.Single(problems));
    }

    [Fact]
    public void Save_SymlinkPlantedAtTheOldTemporaryName_NotFollowed()
    {
        // The temporary name used to be predictable (.NAME.PID.tmp): a symlink planted there redirected the write.
        var victim = PathOf("victim");
        File.WriteAllText(victim, "precious\n");
        File.CreateSymbolicLink(PathOf($".s.{Environment.ProcessId}.tmp"), victim);

        SessionStateFile.Save(PathOf("s"), [new("0.0.0.0:51820", IPEndPoint.Parse("198.51.100.1:1000"), 2000, DateTimeOffset.UtcNow)]);

        Assert.Equal("precious\n", File.ReadAllText(victim));
        Assert.Single(SessionStateFile.Load(PathOf("s"), out _));
        Assert.False(new FileInfo(PathOf("s")).Attributes.HasFlag(FileAttributes.ReparsePoint));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
