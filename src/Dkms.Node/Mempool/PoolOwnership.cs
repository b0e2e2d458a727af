namespace Dkms.Node.Mempool;

/// <summary>The two parts that may change a <see cref="TransactionPool"/> (docs/architecture.md, "The pool's two
/// owners").</summary>
public enum PoolOwner
{
    /// <summary>Neither: code outside both owners' turns.</summary>
    None = 0,

    /// <summary>The admission writer's loop (<see cref="AdmissionWriter"/>): admission and expiry.</summary>
    Admission,

    /// <summary>The consensus loop (<see cref="Consensus.LedgerApplication"/>): the update after a commit and the recheck of
    /// what a proposal could not take.</summary>
    Consensus,
}

/// <summary>
/// Whose turn the calling thread is in. An owner marks the synchronous stretch in which it changes the pool
/// (<see cref="Enter"/>); the pool checks it at each change and raises its events inside it, so a subscriber can tell
/// which owner raised an event (<see cref="Current"/>). Per thread, not per async flow: a turn never spans an await.
/// </summary>
public static class PoolOwnership
{
    [ThreadStatic]
    private static PoolOwner _current;

    /// <summary>The owner whose turn the calling thread is in; <see cref="PoolOwner.None"/> outside any.</summary>
    public static PoolOwner Current => _current;

    /// <summary>Begins <paramref name="owner"/>'s turn on this thread until the result is disposed (turns nest: the one
    /// before is restored).</summary>
    public static Turn Enter(PoolOwner owner)
    {
        var previous = _current;
        _current = owner;
        return new Turn(previous);
    }

    /// <summary>One owner's turn; disposing it restores the turn it interrupted.</summary>
    public readonly struct Turn : IDisposable
    {
        private readonly PoolOwner _previous;

        internal Turn(PoolOwner previous) => _previous = previous;

        public void Dispose() => _current = _previous;
    }
}
