using Dkms.Rpc;

namespace Dkms.Node.Rpc;

/// <summary>
/// What one request — a single call or a whole batch — may still make the node read. A batch of up to
/// <see cref="JsonRpcDispatcher.MaxBatch"/> calls shares one budget, so a batch of full event pages cannot make a node
/// read a million events. Calls of a batch run one after another, so the budget needs no lock.
/// </summary>
public sealed class RequestBudget
{
    /// <summary>Events that <c>identity.events</c> calls of one request may return in all: ten full pages.</summary>
    public const int MaxEvents = 10 * NodeRpc.MaxEventLimit;

    private int _events = MaxEvents;

    /// <summary>Charges <paramref name="events"/> before the call reads them, or refuses the call (nothing is read).</summary>
    public void TakeEvents(int events)
    {
        if (events > _events)
        {
            throw new RpcError(
                RpcErrorCodes.RequestOverBudget,
                $"this request already asked for {MaxEvents - _events} events; one request may return at most {MaxEvents} in all: ask for the rest in another request");
        }

        _events -= events;
    }
}
