namespace Dkms.Node.Tests.Support;

/// <summary>
/// A long test (minutes) that runs only when asked for: with <c>DKMS_SOAK=1</c> in the environment. A trait alone
/// left it out of <c>./test.sh</c> (which filters <c>Category!=Soak</c>) but not out of a plain
/// <c>dotnet test</c> of this project, which then ran minutes of soak looking like a stalled suite. Use it together
/// with <c>[Trait("Category", "Soak")]</c>: <c>DKMS_SOAK=1 dotnet test … --filter Category=Soak</c>.
/// </summary>
public sealed class SoakFactAttribute : FactAttribute
{
    public SoakFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("DKMS_SOAK") != "1") Skip = "soak test: set DKMS_SOAK=1 to run it";
    }
}
