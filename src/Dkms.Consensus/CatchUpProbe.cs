using System.Collections.Concurrent;
using System.Diagnostics;

namespace Dkms.Consensus;

// TEMPORARY measurement probe (not to be committed).
public static class CatchUpProbe
{
    public static volatile bool On;
    public static readonly ConcurrentQueue<(string Tag, ulong Height, long Ticks)> Marks = new();
    public static void Mark(string tag, ulong height) { if (On) Marks.Enqueue((tag, height, Stopwatch.GetTimestamp())); }
}
