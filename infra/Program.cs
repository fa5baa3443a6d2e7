using Pulumi;

namespace Difenn.Infra;

/// <summary>Entry point run by `pulumi up` / `pulumi preview` (Pulumi.yaml: main: infra/).</summary>
public static class Program
{
    /// <summary>Declares the stack's resources.</summary>
    public static Task<int> Main() => Deployment.RunAsync(() => DifennStack.Declare(new Config("difenn-infra")));
}
