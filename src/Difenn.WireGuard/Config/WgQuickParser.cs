using System.Globalization;
using Difenn.WireGuard.Keys;
using Difenn.WireGuard.Net;
using Difenn.WireGuard.Validation;

namespace Difenn.WireGuard.Config;

/// <summary>The outcome of parsing a wg-quick file: the config when it has no errors, and every diagnostic.</summary>
/// <param name="Config">The parsed config; null when any error was found.</param>
/// <param name="Diagnostics">Errors and warnings, in file order.</param>
public sealed record WgQuickParseResult(WgQuickConfig? Config, IReadOnlyList<Diagnostic> Diagnostics)
{
    /// <summary>True when no diagnostic is an error.</summary>
    public bool Success => Config is not null;
}

/// <summary>
/// Reads the wg-quick format. Keys match case-insensitively (as wg does); everything after <c>#</c> on a line is a
/// comment (as wg-quick does); a comment line right after <c>[Peer]</c> becomes <see cref="PeerSection.Comment"/>.
/// Unknown keys and sections are errors. Every problem is reported with file, line and field; the whole file is
/// always read so that all problems are reported at once.
/// </summary>
public static class WgQuickParser
{
    /// <summary>Parses <paramref name="text"/>; <paramref name="fileName"/> is used in diagnostics.</summary>
    public static WgQuickParseResult Parse(string text, string fileName) => Parse(text, fileName, keysRemoved: false);

    /// <summary>
    /// Parses a file whose <c>PrivateKey</c> and <c>PresharedKey</c> lines were removed on its host before it was read
    /// (drift detection never moves a secret): a missing PrivateKey is then expected, not an error.
    /// </summary>
    public static WgQuickParseResult ParseWithoutKeys(string text, string fileName) => Parse(text, fileName, keysRemoved: true);

    private static WgQuickParseResult Parse(string text, string fileName, bool keysRemoved)
    {
        var state = new ParseState(fileName, keysRemoved);
        var lines = text.Replace("\r\n", "\n").Split('\n');
        for (var n = 0; n < lines.Length; n++)
            state.ReadLine(lines[n], n + 1);
        return state.Finish();
    }

    private sealed class ParseState(string file, bool keysRemoved)
    {
        private readonly List<Diagnostic> _diags = [];
        private readonly InterfaceBuilder _iface = new();
        private readonly List<PeerBuilder> _peers = [];
        private int _interfaceLine;
        private string? _section;
        private bool _peerJustOpened;

        public void ReadLine(string raw, int line)
        {
            var hash = raw.IndexOf('#');
            var content = (hash >= 0 ? raw[..hash] : raw).Trim();
            if (content.Length == 0)
            {
                if (hash >= 0 && _peerJustOpened && _section == "Peer")
                    _peers[^1].Comment = raw[(hash + 1)..].Trim();
                return;
            }
            _peerJustOpened = false;
            if (content.StartsWith('['))
            {
                OpenSection(content, line);
                return;
            }
            var eq = content.IndexOf('=');
            if (eq < 0)
            {
                Error(line, 1, "line", $"'{Redact(content)}' is not 'Key = Value'");
                return;
            }
            var key = content[..eq].Trim();
            var value = content[(eq + 1)..].Trim();
            var column = raw.IndexOf(key, StringComparison.Ordinal) + 1;
            switch (_section)
            {
                case "Interface": ReadInterfaceKey(key, value, line, column); break;
                case "Peer": ReadPeerKey(_peers[^1], key, value, line, column); break;
                default: Error(line, column, key, "key outside any section: start the file with [Interface]"); break;
            }
        }

        private void OpenSection(string content, int line)
        {
            if (string.Equals(content, "[Interface]", StringComparison.OrdinalIgnoreCase))
            {
                if (_interfaceLine > 0)
                    Error(line, 1, "[Interface]", $"a second [Interface] section (the first is at line {_interfaceLine})");
                _interfaceLine = line;
                _section = "Interface";
            }
            else if (string.Equals(content, "[Peer]", StringComparison.OrdinalIgnoreCase))
            {
                _peers.Add(new PeerBuilder(line));
                _section = "Peer";
                _peerJustOpened = true;
            }
            else
            {
                Error(line, 1, content, "unknown section: only [Interface] and [Peer] exist");
                _section = null;
            }
        }

        private void ReadInterfaceKey(string key, string value, int line, int col)
        {
            var canonical = WgQuickKeys.Canonical(WgQuickKeys.Interface, key);
            var field = "Interface." + (canonical ?? key);
            switch (canonical)
            {
                case "PrivateKey":
                    if (WireGuardPrivateKey.TryParse(value, out var pk, out var err)) _iface.PrivateKey = pk;
                    else Error(line, col, field, err);
                    break;
                case "ListenPort":
                    if (PortRange.TryParse(value, out var port, out err)) _iface.ListenPort = port;
                    else Error(line, col, field, err);
                    break;
                case "FwMark":
                    if (value == "off" || TryParseFwMark(value)) _iface.FwMark = value;
                    else Error(line, col, field, $"'{value}' must be a 32-bit number (decimal or 0x hex) or 'off'");
                    break;
                case "Address":
                    foreach (var item in SplitList(value))
                    {
                        if (IpPrefix.TryParse(item, out var p, out err)) _iface.Addresses.Add(p);
                        else Error(line, col, field, err);
                    }
                    break;
                case "DNS": _iface.Dns.AddRange(SplitList(value)); break;
                case "MTU":
                    if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var mtu) && mtu is >= 576 and <= 65535) _iface.Mtu = mtu;
                    else Error(line, col, field, $"'{value}' must be a number from 576 to 65535");
                    break;
                case "Table":
                    if (value is "off" or "auto" || uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out _)) _iface.Table = value;
                    else Error(line, col, field, $"'{value}' must be 'off', 'auto' or a routing table number");
                    break;
                case "PreUp": _iface.PreUp.Add(value); break;
                case "PostUp": _iface.PostUp.Add(value); break;
                case "PreDown": _iface.PreDown.Add(value); break;
                case "PostDown": _iface.PostDown.Add(value); break;
                case "SaveConfig":
                    if (bool.TryParse(value, out var save)) _iface.SaveConfig = save;
                    else Error(line, col, field, $"'{value}' must be 'true' or 'false'");
                    break;
                default:
                    Error(line, col, field, $"unknown [Interface] key; known keys: {string.Join(", ", WgQuickKeys.Interface)}");
                    break;
            }
            if (canonical is not null) _iface.Lines.TryAdd(canonical, line);
        }

        private void ReadPeerKey(PeerBuilder peer, string key, string value, int line, int col)
        {
            var canonical = WgQuickKeys.Canonical(WgQuickKeys.Peer, key);
            var field = "Peer." + (canonical ?? key);
            switch (canonical)
            {
                case "PublicKey":
                    if (WireGuardPublicKey.TryParse(value, out var pub, out var err)) peer.PublicKey = pub;
                    else Error(line, col, field, err);
                    break;
                case "PresharedKey":
                    if (WireGuardPresharedKey.TryParse(value, out var psk, out err)) peer.PresharedKey = psk;
                    else Error(line, col, field, err);
                    break;
                case "AllowedIPs":
                    foreach (var item in SplitList(value))
                    {
                        if (IpPrefix.TryParse(item, out var p, out err)) peer.AllowedIPs.Add(p);
                        else Error(line, col, field, err);
                    }
                    break;
                case "Endpoint":
                    if (Endpoint.TryParse(value, out var ep, out err)) peer.Endpoint = ep;
                    else Error(line, col, field, err);
                    break;
                case "PersistentKeepalive":
                    if (value == "off") peer.PersistentKeepalive = 0;
                    else if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var ka) && ka <= 65535) peer.PersistentKeepalive = ka;
                    else Error(line, col, field, $"'{value}' must be a number of seconds from 0 to 65535, or 'off'");
                    break;
                default:
                    Error(line, col, field, $"unknown [Peer] key; known keys: {string.Join(", ", WgQuickKeys.Peer)}");
                    break;
            }
            if (canonical is not null) peer.Lines.TryAdd(canonical, line);
        }

        public WgQuickParseResult Finish()
        {
            if (_interfaceLine == 0)
                Error(0, 0, "[Interface]", "the file has no [Interface] section");
            foreach (var p in _peers.Where(p => p.PublicKey is null && !p.PublicKeyInvalid(_diags, file)))
                Error(p.HeaderLine, 1, "Peer.PublicKey", "this [Peer] has no PublicKey");

            var config = new WgQuickConfig(_iface.Build(), _peers.Where(p => p.PublicKey is not null).Select(p => p.Build()).ToList());
            var lines = new SourceLines(_interfaceLine, _iface.Lines, _peers.Where(p => p.PublicKey is not null).Select(p => (p.HeaderLine, (IReadOnlyDictionary<string, int>)p.Lines)).ToList());
            _diags.AddRange(WgQuickValidator.Validate(config, file, lines).Where(d => !(keysRemoved && d.Field == "Interface.PrivateKey")));
            var ordered = _diags.OrderBy(d => d.Line).ToList();
            return new WgQuickParseResult(ordered.Any(d => d.Severity == DiagnosticSeverity.Error) ? null : config, ordered);
        }

        private void Error(int line, int col, string field, string message) =>
            _diags.Add(Diagnostic.Error(file, line, col, field, message));

        // Never echo a whole unparsed line: it could be a private key missing its '='.
        // A line that is not Key = Value is often a key pasted on its own line: show none of it.
        private static string Redact(string content) => content.Length > 24 || KeyShapedText.HasKeyShape(content) ? "(" + content.Length + " characters)" : content;

        private static bool TryParseFwMark(string v) =>
            v.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                ? uint.TryParse(v[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out _)
                : uint.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out _);

        private static IEnumerable<string> SplitList(string value) =>
            value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private sealed class InterfaceBuilder
    {
        public WireGuardPrivateKey? PrivateKey;
        public int? ListenPort;
        public string? FwMark;
        public readonly List<IpPrefix> Addresses = [];
        public readonly List<string> Dns = [];
        public int? Mtu;
        public string? Table;
        public readonly List<string> PreUp = [], PostUp = [], PreDown = [], PostDown = [];
        public bool? SaveConfig;
        public readonly Dictionary<string, int> Lines = [];

        public InterfaceSection Build() => new()
        {
            PrivateKey = PrivateKey, ListenPort = ListenPort, FwMark = FwMark, Addresses = Addresses, Dns = Dns, Mtu = Mtu,
            Table = Table, PreUp = PreUp, PostUp = PostUp, PreDown = PreDown, PostDown = PostDown, SaveConfig = SaveConfig,
        };
    }

    private sealed class PeerBuilder(int headerLine)
    {
        public int HeaderLine { get; } = headerLine;
        public WireGuardPublicKey? PublicKey;
        public WireGuardPresharedKey? PresharedKey;
        public readonly List<IpPrefix> AllowedIPs = [];
        public Endpoint? Endpoint;
        public int? PersistentKeepalive;
        public string? Comment;
        public readonly Dictionary<string, int> Lines = [];

        // A PublicKey line that failed to parse was already reported; don't also say it is missing.
        public bool PublicKeyInvalid(List<Diagnostic> diags, string file) => Lines.ContainsKey("PublicKey");

        public PeerSection Build() => new()
        {
            PublicKey = PublicKey!, PresharedKey = PresharedKey, AllowedIPs = AllowedIPs, Endpoint = Endpoint,
            PersistentKeepalive = PersistentKeepalive, Comment = Comment,
        };
    }
}

/// <summary>Where each key of a parsed file was, so that cross-field checks can point at a line.</summary>
/// <param name="InterfaceLine">Line of the <c>[Interface]</c> header.</param>
/// <param name="Interface">Line of each interface key (canonical name → first line).</param>
/// <param name="Peers">Per peer, in order: header line and line of each key.</param>
public sealed record SourceLines(int InterfaceLine, IReadOnlyDictionary<string, int> Interface, IReadOnlyList<(int Header, IReadOnlyDictionary<string, int> Keys)> Peers)
{
    /// <summary>Line of <paramref name="key"/> in peer <paramref name="index"/>, or its header line.</summary>
    public int PeerLine(int index, string key) =>
        index < Peers.Count ? (Peers[index].Keys.TryGetValue(key, out var l) ? l : Peers[index].Header) : 0;

    /// <summary>Line of an interface key, or the header line.</summary>
    public int InterfaceKeyLine(string key) => Interface.TryGetValue(key, out var l) ? l : InterfaceLine;

    /// <summary>No line information (for configs built in code).</summary>
    public static SourceLines None { get; } = new(0, new Dictionary<string, int>(), []);
}
