using System.Text;
using QRCoder;

namespace Difenn.Cli.Peers;

/// <summary>
/// A QR code drawn in the terminal with half-block characters (two modules a character cell, so it stays square and
/// small enough to scan from a screen), dark modules black on white whatever the terminal's theme, with the 4-module
/// quiet zone scanners need. Built with QRCoder (maintained, MIT); error correction level M, as the WireGuard apps'
/// own exports use, over the text's exact bytes.
/// </summary>
public static class TerminalQr
{
    /// <summary>Black glyphs on a bright white background, then back to the terminal's colours at each line's end.</summary>
    private const string Colours = "\u001b[30;107m", Reset = "\u001b[0m";

    /// <summary>The modules of <paramref name="text"/>'s QR code, quiet zone included: <c>[row][column]</c>, true = dark.</summary>
    public static bool[][] Modules(string text)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(Encoding.UTF8.GetBytes(text), QRCodeGenerator.ECCLevel.M);
        return data.ModuleMatrix.Select(row => Enumerable.Range(0, row.Length).Select(i => row[i]).ToArray()).ToArray();
    }

    /// <summary>Renders <paramref name="text"/> as terminal lines (ANSI colours, UTF-8 half blocks), each ending in a newline.</summary>
    public static string Render(string text)
    {
        var m = Modules(text);
        var sb = new StringBuilder();
        for (var y = 0; y < m.Length; y += 2)
        {
            sb.Append(Colours);
            for (var x = 0; x < m[y].Length; x++)
            {
                var top = m[y][x];
                var bottom = y + 1 < m.Length && m[y + 1][x];
                sb.Append((top, bottom) switch { (true, true) => '█', (true, false) => '▀', (false, true) => '▄', _ => ' ' });
            }
            sb.Append(Reset).Append('\n');
        }
        return sb.ToString();
    }
}
