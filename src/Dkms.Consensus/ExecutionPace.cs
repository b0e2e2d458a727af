namespace Dkms.Consensus;

/// <summary>
/// How long executing a transaction takes on this node, as a moving average of the blocks it executed (its own and
/// its peers' proposals), timed with the injected clock. A proposer uses it to cap its block so that building it fits in
/// the propose timeout: the validators start that timeout when the round starts, as the proposer starts building, and a
/// proposal that reaches them after it expired gets nil prevotes — round after round, until the growing timeout exceeds
/// the work. (A validator's own re-execution does not count: it runs while the proposal is handled, and a timeout
/// that fires meanwhile is handled after the prevote, when it no longer applies.) Local only: the cap
/// chooses what this node proposes and never what it accepts, so validators may differ in it.
/// </summary>
public sealed class ExecutionPace
{
    /// <summary>Weight of the newest block in the average: a few blocks follow a change in load, one odd block does not
    /// swing it.</summary>
    private const double Weight = 0.25;

    private readonly TimeProvider _time;
    private double _ticksPerTransaction; // 0: nothing measured yet

    public ExecutionPace(TimeProvider time) => _time = time;

    /// <summary>The moving average per transaction; zero until a block with transactions has been timed.</summary>
    public TimeSpan PerTransaction => TimeSpan.FromTicks((long)_ticksPerTransaction);

    /// <summary>Runs <paramref name="execute"/> for a block of <paramref name="count"/> transactions and adds its time to
    /// the average (empty blocks say nothing about the cost of a transaction).</summary>
    public T Time<T>(int count, Func<T> execute)
    {
        var start = _time.GetTimestamp();
        var result = execute();
        if (count > 0) Add(count, _time.GetElapsedTime(start));
        return result;
    }

    public void Add(int count, TimeSpan elapsed)
    {
        var perTx = (double)elapsed.Ticks / count;
        _ticksPerTransaction = _ticksPerTransaction == 0 ? perTx : _ticksPerTransaction + Weight * (perTx - _ticksPerTransaction);
    }

    /// <summary>The most transactions whose execution takes at most <paramref name="share"/> of <paramref name="timeout"/>; at
    /// least one (the propose timeout grows per round, so a later round always fits more), at most
    /// <paramref name="limit"/>; <paramref name="limit"/> itself while nothing is measured or the share is zero.</summary>
    public int Cap(TimeSpan timeout, double share, int limit)
    {
        if (_ticksPerTransaction <= 0 || share <= 0 || limit < 1) return limit;
        var fits = timeout.Ticks * share / _ticksPerTransaction;
        return (int)Math.Clamp(Math.Floor(fits), 1, limit);
    }
}
