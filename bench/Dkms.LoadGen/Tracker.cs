using System.Diagnostics;
using System.Text.Json;
using Dkms.Rpc;

namespace Dkms.LoadGen;

/// <summary>
/// Follows the chain on one node: polls <c>node.status</c>, fetches every new block with <c>block.get</c>
/// and marks the transactions it lists as committed at the moment the block was first seen. When its node cannot be
/// reached it goes on from the same height on the next live node of the pool.
/// </summary>
public sealed class Tracker(NodePool pool, IReadOnlyDictionary<string, Entry> byHash, int pollMs) : IDisposable
{
    private RawRpc _rpc = new(pool.FirstAlive());
    private long _committedRun;
    private long _committedSetup;
    private long _blocks;
    private long _blockTxs;

    public ulong Height { get; private set; }
    public int MempoolCount { get; private set; }
    public long CommittedRun => Interlocked.Read(ref _committedRun);
    public long CommittedSetup => Interlocked.Read(ref _committedSetup);
    public long Blocks => Interlocked.Read(ref _blocks);
    public long BlockTransactions => Interlocked.Read(ref _blockTxs);
    public long Errors { get; private set; }

    /// <summary>Heights and their arrival (Stopwatch ticks) and transaction count, in order.</summary>
    public List<(ulong Height, long SeenTicks, int Txs)> BlockLog { get; } = [];

    /// <summary>The node followed now.</summary>
    public Uri Node => _rpc.Node;

    public async Task StartAtCurrentHeightAsync(CancellationToken ct)
    {
        for (var tries = 0; ; tries++)
        {
            try
            {
                var status = await _rpc.CallAsync(RpcMethods.NodeStatus, null, ct).ConfigureAwait(false);
                Height = status.GetProperty("height").GetUInt64();
                return;
            }
            catch (Exception e) when (NodePool.Unreachable(e, ct))
            {
                if (tries >= pool.Nodes.Length) throw new NoNodeAnsweredException(pool.Nodes, e);
                SwitchFrom(e);
            }
        }
    }

    public void Dispose() => _rpc.Dispose();

    private void SwitchFrom(Exception e)
    {
        var next = pool.Failed(_rpc.Node, e);
        if (next == _rpc.Node) return;
        _rpc.Dispose();
        _rpc = new RawRpc(next);
    }

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var status = await _rpc.CallAsync(RpcMethods.NodeStatus, null, ct).ConfigureAwait(false);
                var height = status.GetProperty("height").GetUInt64();
                MempoolCount = status.GetProperty("mempoolCount").GetInt32();
                while (Height < height && !ct.IsCancellationRequested)
                {
                    var h = Height + 1;
                    var block = await _rpc.CallAsync(RpcMethods.Block, w => w.WriteNumber("height", h), ct).ConfigureAwait(false);
                    var seen = Stopwatch.GetTimestamp();
                    var count = 0;
                    foreach (var hash in block.GetProperty("transactionHashes").EnumerateArray())
                    {
                        count++;
                        if (hash.GetString() is { } hex && byHash.TryGetValue(hex, out var e) && e.Commit == 0)
                        {
                            e.Commit = seen;
                            if (e.Setup) Interlocked.Increment(ref _committedSetup);
                            else Interlocked.Increment(ref _committedRun);
                        }
                    }

                    lock (BlockLog) BlockLog.Add((h, seen, count));
                    Interlocked.Increment(ref _blocks);
                    Interlocked.Add(ref _blockTxs, count);
                    Height = h;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is RpcCallException or HttpRequestException or JsonException or TaskCanceledException or KeyNotFoundException)
            {
                Errors++;
                if (NodePool.Unreachable(e, ct)) SwitchFrom(e);
            }

            try
            {
                await Task.Delay(pollMs, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

/// <summary>CPU time of processes (utime + stime from /proc/&lt;pid&gt;/stat) and of the whole machine (/proc/stat).</summary>
public static class Cpu
{
    /// <summary>Clock ticks per second of /proc (USER_HZ; 100 on Linux).</summary>
    public const double TicksPerSecond = 100.0;

    public static double? ProcessSeconds(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            // fields[0] is field 3 (state); utime is field 14, stime field 15.
            return (long.Parse(fields[11]) + long.Parse(fields[12])) / TicksPerSecond;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Busy and total CPU seconds of the machine since boot (all cores).</summary>
    public static (double Busy, double Total) Machine()
    {
        var line = File.ReadLines("/proc/stat").First();
        var v = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        // user nice system idle iowait irq softirq steal ...
        var idle = v[3] + v[4];
        var busy = v[0] + v[1] + v[2] + v[5] + v[6] + (v.Length > 7 ? v[7] : 0);
        return (busy / TicksPerSecond, (busy + idle) / TicksPerSecond);
    }

    public static double SelfSeconds() => Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;
}
