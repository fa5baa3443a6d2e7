namespace Difenn.Relay;

/// <summary>Entry point of <c>difenn-relay</c>.</summary>
public static class Program
{
    /// <summary>Runs the relay; returns the process exit code.</summary>
    public static int Main(string[] args)
    {
        Console.Error.WriteLine("difenn-relay: not implemented yet");
        return 1;
    }
}
