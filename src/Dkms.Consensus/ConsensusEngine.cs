using System.Threading.Channels;

namespace Dkms.Consensus;

/// <summary>
/// The production driver: one loop task reads a bounded channel of events and feeds the state machine, so
/// the machine is only ever touched by one thread. Network messages are dropped when the channel is full
/// (the protocol tolerates loss); timeouts and local events wait for room.
/// </summary>
public sealed class ConsensusEngine : ConsensusDriver
{
    private readonly Channel<ConsensusEvent> _events;

    public ConsensusEngine(ConsensusStateMachine machine, ITransport transport, TimeProvider time, int capacity)
        : base(machine, transport, time)
    {
        _events = Channel.CreateBounded<ConsensusEvent>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public override void Post(ConsensusEvent e)
    {
        if (_events.Writer.TryWrite(e) || e is ProposalReceived or VoteReceived or BlockFetched or BlockRequested) return;
        _ = _events.Writer.WriteAsync(e).AsTask();
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        Execute(Machine.Start());
        await foreach (var e in _events.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            Execute(Machine.Handle(e));
        }
    }
}
