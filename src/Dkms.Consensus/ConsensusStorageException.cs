namespace Dkms.Consensus;

/// <summary>
/// This node's own storage failed (saving the consensus record, committing a decided block): the one fault that
/// stops the consensus loop. Anything else that goes wrong while handling one event is contained by the driver.
/// </summary>
public sealed class ConsensusStorageException(string message, Exception inner) : Exception(message, inner);
