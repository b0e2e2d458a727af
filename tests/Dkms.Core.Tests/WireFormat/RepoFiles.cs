namespace Dkms.Core.Tests.WireFormat;

/// <summary>Finds files of the repository the tests run from (docs, interop scripts).</summary>
internal static class RepoFiles
{
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Dkms.Node.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException($"no Dkms.Node.sln above {AppContext.BaseDirectory}");
    }

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root(), .. parts]);
}
