using Difenn.Operations.Drift;

namespace Difenn.Cli.Drift;

/// <summary>The human form of a drift report: one aligned table (host, item, desired, live, verdict) and a summary line.</summary>
internal static class DriftPrinter
{
    public static void Print(TextWriter o, DriftReport report, bool all)
    {
        var rows = report.Items.Where(i => all || i.Verdict != DriftVerdict.InSync).ToList();
        var inSync = report.Items.Count(i => i.Verdict == DriftVerdict.InSync);
        if (rows.Count > 0)
        {
            string[] head = ["HOST", "ITEM", "DESIRED", "LIVE", "VERDICT"];
            var cells = rows.Select(r => new[] { r.Host, r.Item, Clip(r.Desired), Clip(r.Live), Verdict(r.Verdict) }).ToList();
            var widths = Enumerable.Range(0, 5).Select(c => Math.Max(head[c].Length, cells.Max(r => r[c].Length))).ToArray();
            o.WriteLine(Line(head, widths));
            foreach (var r in cells) o.WriteLine(Line(r, widths));
            o.WriteLine();
        }
        var differ = report.Items.Count(i => i.Verdict is DriftVerdict.Drift or DriftVerdict.Missing or DriftVerdict.Unexpected);
        o.WriteLine(report.ExitCode switch
        {
            0 => $"in sync: {inSync} item(s) on {report.Items.Select(i => i.Host).Distinct().Count()} host(s) match the stack",
            2 => $"DRIFT: {differ} item(s) differ from the stack, {inSync} in sync" + Unchecked(report),
            _ => $"could not check everything: {inSync} item(s) in sync" + Unchecked(report),
        });
        if (!all && inSync > 0 && rows.Count > 0) o.WriteLine("(items in sync are hidden; --all shows them)");
    }

    private static string Unchecked(DriftReport r) => r.Incomplete ? $"; not checked: {string.Join(", ", r.UncheckedHosts)}" : "";

    private static string Verdict(DriftVerdict v) => v switch
    {
        DriftVerdict.InSync => "ok",
        DriftVerdict.Drift => "DRIFT",
        DriftVerdict.Missing => "MISSING",
        DriftVerdict.Unexpected => "UNEXPECTED",
        _ => "UNKNOWN",
    };

    private static string Clip(string s) => s.Length > 60 ? s[..59] + "…" : s;

    private static string Line(string[] cells, int[] widths) =>
        string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd();
}
