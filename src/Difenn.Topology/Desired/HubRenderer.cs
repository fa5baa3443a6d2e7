using System.Text;
using Difenn.Topology.Model;
using Difenn.Topology.Secrets;

namespace Difenn.Topology.Desired;

/// <summary>
/// hub2: the UFW rules for exactly the relay ports, the relay containers in their own compose project, and the
/// migration away from the runbook's socat containers (which hold the same ports).
/// </summary>
internal static class HubRenderer
{
    public const string ProjectName = "difenn-relay";

    /// <summary>Where the relay containers keep their session tables (the compose project's named volume <c>state</c>).</summary>
    public const string StateDir = "/var/lib/difenn-relay";

    /// <summary>The directory beside the compose file holding the server keys file (mounted read-only into the containers).</summary>
    public const string KeysDirName = "keys";

    /// <summary>The server keys file: one base64 public key per line.</summary>
    public const string KeysFileName = "server-public-keys";

    /// <summary>Where the keys directory appears inside the relay containers.</summary>
    public const string KeysMount = "/etc/difenn-relay";

    public static HostState Render(Stack stack)
    {
        var hub = stack.Hub;
        var relay = hub.Relay;
        // The relay's MAC1 gate accepts the server's key and the keys it had before its last rotation. They are in a
        // file the relays re-read when it changes, so a rotation adds the new key without restarting them (a restart
        // drops the datagrams of that moment). Its directory is mounted, not the file: a file replaced by rename would
        // stay the old one inside the container.
        var keysFile = $"{relay.ComposeDir}/{KeysDirName}/{KeysFileName}";
        var keys = "# Managed by Difenn.Infra: the server public keys the relay's MAC1 gate accepts (the server's, then the previous ones).\n"
            + string.Concat(new[] { stack.Server.PublicKey }.Concat(stack.Server.PreviousPublicKeys).Distinct().Select(k => k.ToBase64() + "\n"));
        var rules = relay.Listen.Select(l => new FirewallRule(l.Port, "udp", l.Comment)).ToList();
        var containers = relay.Listen.Select((l, i) => new ContainerSpec(
            Name: $"difenn_relay_{l.Port}",
            Service: $"relay-{l.Port}",
            Image: relay.Image,
            Command: ["--listen", l.Port.ToString(), "--backend", relay.Backend.ToString(), "--server-public-keys-file", $"{KeysMount}/{KeysFileName}",
                "--metrics", $"127.0.0.1:{relay.MetricsPortBase + i}",
                "--state-file", $"{StateDir}/sessions-{l.Port}"],
            Restart: "unless-stopped",
            NetworkMode: "host",
            ListenPort: l.Port,
            MetricsPort: relay.MetricsPortBase + i)).ToList();
        var composePath = $"{relay.ComposeDir}/compose.yaml";
        var compose = ComposeFile(containers, $"{relay.ComposeDir}/{KeysDirName}");
        var files = new List<DesiredFile>
        {
            new(keysFile, "0644", "root:root", SecretText.Plain(keys)),
            new(composePath, "0644", "root:root", SecretText.Plain(compose)),
        };

        var commands = new List<DesiredCommand>
        {
            new($"{hub.Name}-firewall", $"UFW: allow exactly the relay ports ({string.Join(", ", rules.Select(r => $"{r.Port}/udp"))}); other rules untouched",
                SecretText.Plain(FirewallCreate(rules)), SecretText.Plain(FirewallDelete(rules)), []),
        };
        if (hub.Legacy is { } legacy)
            commands.Add(new($"{hub.Name}-legacy-socat", $"stop and remove the runbook's socat containers ({string.Join(", ", legacy.Containers)}) that hold the relay ports",
                SecretText.Plain(LegacyMigration(legacy)), null, [$"{hub.Name}-firewall"]));
        commands.Add(new($"{hub.Name}-relay", $"difenn-relay containers in compose project '{ProjectName}' ({relay.ComposeDir})",
            SecretText.Plain(RelayCreate(composePath, compose, keysFile, keys, containers)), SecretText.Plain(RelayDelete(composePath, keysFile)),
            [hub.Legacy is null ? $"{hub.Name}-firewall" : $"{hub.Name}-legacy-socat"]));

        var conn = new HostConnection(hub.Ssh.Host, hub.Ssh.Port, hub.Ssh.User, hub.Ssh.HostKeys, null);
        return new HostState(hub.Name, "hub", conn, files, commands, rules, containers);
    }

    private static string ComposeFile(IReadOnlyList<ContainerSpec> containers, string keysDir)
    {
        var sb = new StringBuilder();
        sb.Append("# Managed by Difenn.Infra: the WireGuard UDP relay (replaces the socat services in /opt/charliehub).\n");
        sb.Append($"name: {ProjectName}\nservices:\n");
        foreach (var c in containers)
        {
            sb.Append($"  {c.Service}:\n");
            sb.Append($"    image: {c.Image}\n");
            sb.Append($"    container_name: {c.Name}\n");
            sb.Append($"    restart: {c.Restart}\n");
            sb.Append($"    network_mode: {c.NetworkMode}\n");
            sb.Append($"    command: [{string.Join(", ", c.Command.Select(a => $"\"{a}\""))}]\n");
            sb.Append("    labels:\n      traefik.enable: \"false\"\n");
            sb.Append("    cap_drop: [ALL]\n    cap_add: [NET_BIND_SERVICE]\n    read_only: true\n");
            // The one writable place: sessions survive a restart or recreation (a new key, an upgrade).
            sb.Append($"    volumes: [\"state:{StateDir}\", \"{keysDir}:{KeysMount}:ro\"]\n");
            sb.Append($"    healthcheck:\n      test: [\"CMD\", \"/usr/local/bin/difenn-relay\", \"healthcheck\", \"--metrics\", \"127.0.0.1:{c.MetricsPort}\"]\n");
            sb.Append("      interval: 30s\n      timeout: 3s\n      retries: 3\n");
        }
        sb.Append("volumes:\n  state: {}\n");
        return sb.ToString();
    }

    private static string FirewallCreate(IEnumerable<FirewallRule> rules)
    {
        var sb = new StringBuilder("set -eu\n# `ufw allow` is idempotent: an existing identical rule is skipped, a changed comment is updated.\n");
        foreach (var r in rules)
            sb.Append($"ufw allow {r.Port}/{r.Protocol} comment {Sh.Quote(r.Comment)}\n");
        // The relay ports are only open when ufw is active (drift expects it): enable it if a hand disabled it. Never
        // lock out SSH doing so: the port this session came in on, and every port sshd listens on, get an allow rule
        // first unless one already exists (its comment must not start with "Difenn": those rules are ours to delete).
        sb.Append("""
            if ! ufw status | grep -q '^Status: active'; then
              ports=$(echo "${SSH_CONNECTION:-}" | awk '{print $4}')
              ports="$ports $(ss -Hltnp 2>/dev/null | awk '/"sshd"/ {n = split($4, a, ":"); print a[n]}')"
              for p in $(echo $ports | tr ' ' '\n' | sort -u); do
                if ! ufw show added | grep -Eq "^ufw (allow|limit)( in)? ($p(/tcp)?|OpenSSH)( |$)"; then
                  ufw allow "$p/tcp" comment 'SSH: kept open when ufw was enabled by the relay firewall script'
                fi
              done
              ufw --force enable
            fi

            """);
        return sb.ToString();
    }

    private static string FirewallDelete(IEnumerable<FirewallRule> rules)
    {
        var sb = new StringBuilder("set -eu\n# Deletes only the rules this project added (same port/proto spec); other rules are never touched.\n");
        foreach (var r in rules)
            sb.Append($"ufw --force delete allow {r.Port}/{r.Protocol} || true\n");
        return sb.ToString();
    }

    private static string LegacyMigration(LegacyRelaySpec legacy)
    {
        var sb = new StringBuilder("set -eu\n# The runbook's socat relay holds the same ports: stop and remove its containers (only those),\n# leaving every other service of the shared project untouched.\n");
        sb.Append($"for c in {string.Join(' ', legacy.Containers.Select(Sh.Quote))}; do\n");
        sb.Append("  if docker inspect \"$c\" >/dev/null 2>&1; then docker rm -f \"$c\" >/dev/null; echo \"removed legacy container $c\"; fi\n");
        sb.Append("done\n");
        sb.Append($"if grep -qs 'difenn-relay' {Sh.Quote(legacy.ComposeDir + "/docker-compose.yml")} {Sh.Quote(legacy.ComposeDir + "/compose.yaml")}; then\n");
        sb.Append($"  echo \"warning: {legacy.ComposeDir} still defines the difenn-relay socat services; remove them there or 'docker compose up' will start them again\" >&2\n");
        sb.Append("fi\n");
        return sb.ToString();
    }

    private static string RelayCreate(string composePath, string compose, string keysFile, string keys, IReadOnlyList<ContainerSpec> containers)
    {
        var sb = new StringBuilder("set -eu\nchanged=0\n");
        sb.Append(Sh.WriteFile(keysFile, "0644", "root:root", keys));
        sb.Append("keys_changed=$changed\nchanged=0\n");
        sb.Append(Sh.WriteFile(composePath, "0644", "root:root", compose));
        sb.Append($"docker compose -p {ProjectName} -f {Sh.Quote(composePath)} up -d --remove-orphans\n");
        // A running relay re-reads the keys file within a second; its metrics give the sha256 of the file in force.
        // Wait for that (up to 10 s each), so a rotation never sends the new key's handshake to a relay still dropping it.
        sb.Append($$"""
            if [ "$keys_changed" = 1 ]; then
              want=$(sha256sum {{Sh.Quote(keysFile)}} | cut -d' ' -f1)
              all=1
              for port in {{string.Join(' ', containers.Select(c => c.MetricsPort))}}; do
                n=0
                until {{RelayMetricsFetch.Command("$port", 2)}} | grep -qF "difenn_relay_server_keys{sha256=\"$want\"}"; do
                  n=$((n + 1))
                  if [ $n -ge 50 ]; then all=0; echo "warning: the relay with metrics on 127.0.0.1:$port does not have the new server keys in force after 10 s" >&2; break; fi
                  sleep 0.2
                done
              done
              [ $all = 0 ] || echo "new server keys in force on every relay (no restart)"
            fi

            """);
        return sb.ToString();
    }

    private static string RelayDelete(string composePath, string keysFile) =>
        $"set -eu\nif [ -f {Sh.Quote(composePath)} ]; then docker compose -p {ProjectName} -f {Sh.Quote(composePath)} down; rm -f {Sh.Quote(composePath)}; fi\nrm -f {Sh.Quote(keysFile)}\n";
}
