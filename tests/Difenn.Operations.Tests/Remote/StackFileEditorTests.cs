using Difenn.Operations.Rotation;
using Difenn.Topology.Loading;
using Difenn.WireGuard.Keys;

namespace Difenn.Operations.Tests.Remote;

public class StackFileEditorTests
{
    private static string Prod() => File.ReadAllText(Testing.RepoFiles.ProdStackPath);

    [Fact]
    public void RotateServerKey_TwiceOnProd_PublicKeyAndOnlyLastPreviousKeyCommentsKept()
    {
        var path = Path.GetTempFileName();
        try
        {
            var prod = Prod();
            File.WriteAllText(path, prod);
            var old = "2017spmmJjmrSgD+9WUeRPE9ihrG2jonVmjfVxW2XCI=";
            var k1 = WireGuardPrivateKey.Generate().PublicKey.ToBase64();
            var k2 = WireGuardPrivateKey.Generate().PublicKey.ToBase64();
            StackFileEditor.RotateServerKey(path, old, k1);
            StackFileEditor.RotateServerKey(path, k1, k2);

            var load = StackLoader.Load(path);
            Assert.True(load.Success, string.Join("\n", load.Diagnostics));
            Assert.Equal(k2, load.Stack!.Server.PublicKey.ToBase64());
            Assert.Equal([k1], load.Stack.Server.PreviousPublicKeys.Select(k => k.ToBase64()));
            var text = File.ReadAllText(path);
            Assert.DoesNotContain(old, text);
            Assert.Contains("# must equal the server container's address and listen port", text);
            Assert.Equal(prod.Split('\n').Length + 1, text.Split('\n').Length);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
