using System.Text.RegularExpressions;
using ZXing;
using ZXing.Common;
using ZXing.QrCode;

namespace Difenn.Cli.Tests.Peers;

/// <summary>
/// Reads a QR code back from what the terminal shows: the half-block characters become modules again, the modules a
/// grey image (4 pixels a module), and ZXing.Net's QR reader (a maintained port of the ZXing library Android apps scan
/// with) finds and decodes it as it would a camera frame.
/// </summary>
internal static partial class TerminalQrDecoder
{
    private const int Scale = 4;

    /// <summary>The decoded text, or null when the reader finds no QR code.</summary>
    public static string? Decode(string terminalText)
    {
        var rows = new List<bool[]>();
        foreach (var line in terminalText.Split('\n').Where(l => l.Contains("\u001b[")))
        {
            var cells = AnsiEscape().Replace(line, "");
            rows.Add(cells.Select(c => c is '█' or '▀').ToArray());
            rows.Add(cells.Select(c => c is '█' or '▄').ToArray());
        }
        if (rows.Count == 0) return null;
        var width = rows[0].Length * Scale;
        var height = rows.Count * Scale;
        var pixels = new byte[width * height];
        for (var y = 0; y < height; y++)
            for (var x = 0; x < width; x++)
                pixels[(y * width) + x] = rows[y / Scale][x / Scale] ? (byte)0 : (byte)255;
        var bitmap = new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(pixels, width, height, RGBLuminanceSource.BitmapFormat.Gray8)));
        return new QRCodeReader().decode(bitmap)?.Text;
    }

    [GeneratedRegex("\u001b\\[[0-9;]*m")]
    private static partial Regex AnsiEscape();
}
