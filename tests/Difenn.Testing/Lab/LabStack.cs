using Difenn.WireGuard.Keys;

namespace Difenn.Testing.Lab;

/// <summary>
/// The stack file of the namespace lab: the prod topology's shape (same ports, comments, addresses inside the
/// namespaces, keepalive, rollback), with SSH pointing at the lab's sshd forwarders on 127.0.0.1 and the DNS name
/// <c>localhost</c> (so the system resolver answers without leaving the machine). Keys are generated per lab.
/// </summary>
public static class LabStack
{
    public const string HubFront = "10.9.1.1";
    public const string RouterUplink = "10.9.1.2";
    public const string HubBack = "10.44.1.1";
    public const string Container = "10.44.1.214";

    public static string Yaml(int hubPort, string hubHostKey, int px3Port, WireGuardPublicKey server, WireGuardPublicKey router, int rollbackSeconds, string endpointHost = HubFront) => $"""
        stack: lab
        dns:
          zone: localhost
          name: localhost
          ttl: 300
        hub:
          name: hub2
          publicIp: 127.0.0.1
          ssh:
            host: 127.0.0.1
            port: {hubPort}
            user: root
            hostKeys: ["{hubHostKey}"]
          relay:
            composeDir: /opt/difenn-relay
            image: difenn-relay:0.1.0
            backend: {Container}:51820
            listen:
              - port: 51820
                comment: Difenn WireGuard relay for CT2914
              - port: 443
                comment: Difenn WireGuard relay for LTE (port 443)
          legacy:
            composeDir: /opt/charliehub
            containers: [charliehub_difenn_relay, charliehub_difenn_relay_443]
        proxmox:
          name: px3
          ssh:
            host: 127.0.0.1
            port: {px3Port}
            user: root
          container:
            id: 2914
            name: v4-difenn
            address: {Container}
        server:
          interface: wg0
          address: 10.200.0.1/24
          listenPort: 51820
          publicKey: {server}
          secrets:
            privateKey: serverPrivateKey
        peers:
          - name: xe300
            address: 10.200.0.2
            publicKey: {router}
            keepalive: 25
            uplinks: [ethernet, lte]
            endpoint:
              host: {endpointHost}
              port: 51820
              fallbackPort: 443
            allowedIPs: [10.200.0.0/24]
            secrets:
              privateKey: xe300PrivateKey
            openwrt:
              interface: wg_difenn
              rollbackSeconds: {rollbackSeconds}
              ssh:
                host: 10.200.0.2
                user: root

        """;
}
