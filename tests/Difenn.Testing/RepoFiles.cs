namespace Difenn.Testing;

/// <summary>Files of this repository, found upward from the test assembly.</summary>
public static class RepoFiles
{
    /// <summary>The repository root (where Difenn.Infra.sln is).</summary>
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Difenn.Infra.sln"))) return dir.FullName;
            throw new InvalidOperationException("repository root (Difenn.Infra.sln) not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary><c>stacks/prod.yaml</c>.</summary>
    public static string ProdStackPath => Path.Combine(Root, "stacks", "prod.yaml");
}
