using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;

namespace Dkms.Network;

/// <summary>
/// Peers' host names are resolved off the network thread. Addresses come from committed SetValidators transactions,
/// so a validator can name a host whose nameserver never answers; a lookup on the network thread would then freeze
/// every session of this node on each redial.
/// </summary>
public sealed partial class PeerNetwork
{
    private readonly ConcurrentQueue<Resolution> _resolved = new();
    private readonly CancellationTokenSource _resolveStop = new();

    /// <summary>
    /// Network thread: an IP literal's endpoint at once; for a host name the last answer (null before the first),
    /// after starting a fresh resolution unless one is under way for the slot.
    /// </summary>
    /// <exception cref="FormatException">The address is not host:port.</exception>
    private IPEndPoint? Locate(PeerSlot slot)
    {
        var (host, port) = Endpoints.Parse(slot.Address.Address);
        if (IPAddress.TryParse(host, out var ip)) return new IPEndPoint(ip, port);
        if (!slot.Resolving) StartResolving(slot, host, port);
        return slot.Endpoint;
    }

    private void StartResolving(PeerSlot slot, string host, int port)
    {
        slot.Resolving = true;
        var (resolver, timeout, allowV6, stop) = (_options.Resolver, _options.ResolveTimeout, _manager.IPv6Enabled, _resolveStop.Token);
        // The slot stays Resolving until the resolver's task ends, so a resolver that ignores the timeout holds up
        // only this slot's next lookup, never a thread of this node.
        _ = Task.Run(async () =>
        {
            try
            {
                // The timeout runs on this network's clock, so a test can expire it without waiting.
                using var expiry = new CancellationTokenSource(timeout, _time);
                using var limit = CancellationTokenSource.CreateLinkedTokenSource(stop, expiry.Token);
                var all = await resolver(host, limit.Token).ConfigureAwait(false);
                _resolved.Enqueue(new Resolution(slot, new IPEndPoint(Endpoints.Pick(all, allowV6), port), null));
            }
            catch (Exception e)
            {
                _resolved.Enqueue(new Resolution(slot, null, e is OperationCanceledException ? "no answer in time" : e.Message));
            }

            Wake();
        });
    }

    /// <summary>Network thread: takes the answers of finished resolutions; a first answer is dialled at once.</summary>
    private void DrainResolved()
    {
        while (_resolved.TryDequeue(out var answer))
        {
            var slot = answer.Slot;
            slot.Resolving = false;
            // A slot that left the peer set (or got a new address, hence a new slot) no longer matters.
            if (!_slots.TryGetValue(slot.Address.Key, out var current) || current != slot) continue;
            if (answer.Endpoint is null)
            {
                _logger.LogWarning("cannot resolve {Peer} at {Address}: {Error}", slot.Address.Key, slot.Address.Address, answer.Error);
                continue;
            }

            var first = slot.Endpoint is null;
            NoteValidatorEndpoint(slot, answer.Endpoint);
            if (first && slot.Active is null) slot.NextDialAt = _time.GetTimestamp();
        }
    }

    private sealed record Resolution(PeerSlot Slot, IPEndPoint? Endpoint, string? Error);
}
