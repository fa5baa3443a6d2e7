namespace Difenn.Topology.Desired;

/// <summary>POSIX shell quoting for rendered scripts.</summary>
public static class Sh
{
    /// <summary>Single-quotes <paramref name="value"/> for sh (<c>'</c> becomes <c>'\''</c>).</summary>
    public static string Quote(string value) =>
        value.Contains('\n') || value.Contains('\0')
            ? throw new ArgumentException("shell values must be single lines")
            : "'" + value.Replace("'", "'\\''") + "'";

    /// <summary>
    /// A script fragment that writes <paramref name="content"/> to <paramref name="path"/> atomically with the given
    /// mode and owner (a file whose content already matches gets them too), and sets shell variable <c>changed=1</c>
    /// only when the content differs (so re-applying is a no-op).
    /// The content travels inside the script (on stdin), never on a command line.
    /// </summary>
    public static string WriteFile(string path, string mode, string owner, string content, string delimiter = "DIFENN_EOF")
    {
        if (content.Split('\n').Contains(delimiter))
            throw new ArgumentException($"content contains the heredoc delimiter {delimiter}");
        var dir = System.IO.Path.GetDirectoryName(path)!;
        var body = content.EndsWith('\n') ? content : content + "\n";
        return $"""
            mkdir -p {Quote(dir)}
            tmp=$(mktemp {Quote(dir + "/.difenn.XXXXXX")})
            cat > "$tmp" <<'{delimiter}'
            {body}{delimiter}
            chmod {mode} "$tmp"
            chown {owner} "$tmp"
            if [ -f {Quote(path)} ] && cmp -s "$tmp" {Quote(path)}; then
              rm -f "$tmp"
              # Same content, but a hand may have changed its mode or owner: those converge too.
              chmod {mode} {Quote(path)}
              chown {owner} {Quote(path)}
            else
              mv -f "$tmp" {Quote(path)}
              changed=1
            fi

            """;
    }
}
