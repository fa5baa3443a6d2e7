namespace Difenn.WireGuard.Validation;

/// <summary>How serious a <see cref="Diagnostic"/> is.</summary>
public enum DiagnosticSeverity
{
    /// <summary>Worth a look; the file still works.</summary>
    Warning,

    /// <summary>The file is wrong and must not be applied.</summary>
    Error,
}

/// <summary>
/// One problem found in an input file, pointing at the place a person must edit.
/// <see cref="ToString"/> gives the compiler-style form <c>file:line:column: error: field: message</c>.
/// </summary>
/// <param name="Severity">Error or warning.</param>
/// <param name="File">The file's path as the user gave it.</param>
/// <param name="Line">1-based line; 0 when the problem is about the whole file.</param>
/// <param name="Column">1-based column; 0 when not known.</param>
/// <param name="Field">The key or field at fault, e.g. <c>Peer.AllowedIPs</c>.</param>
/// <param name="Message">What is wrong and, where possible, how to fix it. Never contains a secret.</param>
/// <remarks>
/// <see cref="Field"/> and <see cref="Message"/> pass through <see cref="KeyShapedText.Redact"/> whoever made the
/// diagnostic: a key typed on a line of its own, as a key name or in a value must not come back in a message,
/// <c>--json</c> or <c>drift.json</c>.
/// </remarks>
public sealed record Diagnostic(DiagnosticSeverity Severity, string File, int Line, int Column, string Field, string Message)
{
    /// <summary>The key or field at fault, key-shaped text hidden.</summary>
    public string Field { get; init; } = KeyShapedText.Redact(Field);

    /// <summary>What is wrong, key-shaped text hidden.</summary>
    public string Message { get; init; } = KeyShapedText.Redact(Message);

    /// <summary>Creates an error.</summary>
    public static Diagnostic Error(string file, int line, int column, string field, string message) =>
        new(DiagnosticSeverity.Error, file, line, column, field, message);

    /// <summary>Creates a warning.</summary>
    public static Diagnostic Warning(string file, int line, int column, string field, string message) =>
        new(DiagnosticSeverity.Warning, file, line, column, field, message);

    /// <summary><c>file:line:column: error: field: message</c>.</summary>
    public override string ToString()
    {
        var where = Line > 0 ? (Column > 0 ? $"{File}:{Line}:{Column}" : $"{File}:{Line}") : File;
        var sev = Severity == DiagnosticSeverity.Error ? "error" : "warning";
        return $"{where}: {sev}: {Field}: {Message}";
    }
}
