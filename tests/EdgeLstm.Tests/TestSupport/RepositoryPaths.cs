namespace EdgeLstm.Tests.TestSupport;

/// <summary>Paths inside the repository, found by walking up from the test assembly to the folder with EdgeLstm.sln.</summary>
internal static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    public static string BundledMnist => Path.Combine(Root, "data", "mnist");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "EdgeLstm.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("EdgeLstm.sln not found above " + AppContext.BaseDirectory);
    }
}
