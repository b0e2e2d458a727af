using Dkms.Core.Primitives;
using MessagePack;

namespace Dkms.Ledger.State;

/// <summary>What the ledger remembers of each committed height: its state root and block time.</summary>
[MessagePackObject]
public sealed record HeightRecord(
    [property: Key(0)] ulong Height,
    [property: Key(1)] Hash32 StateRoot,
    [property: Key(2)] ulong BlockTimeMs,
    [property: Key(3)] int TransactionCount);
