namespace Dkms.Node.Tests.Support;

/// <summary>Waits for a condition on nodes that run on the wall clock (real transports, real timers).</summary>
internal static class Eventually
{
    /// <summary>True as soon as <paramref name="condition"/> holds, polled every 20 ms; false if it still does not after
    /// <paramref name="deadline"/> (60 s unless given).</summary>
    public static async Task<bool> TrueAsync(Func<bool> condition, TimeSpan? deadline = null)
    {
        var until = DateTime.UtcNow + (deadline ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < until)
        {
            if (condition()) return true;
            await Task.Delay(20);
        }

        return condition();
    }
}
