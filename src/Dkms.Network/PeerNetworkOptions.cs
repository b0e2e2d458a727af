using System.Net;
using Dkms.Core.Crypto;

namespace Dkms.Network;

/// <summary>Settings of a <see cref="PeerNetwork"/>. Sizes are in bytes.</summary>
public sealed record PeerNetworkOptions
{
    /// <summary>Bound into every handshake signature, so a node of another chain cannot connect.</summary>
    public required string ChainId { get; init; }

    /// <summary>This node's key; proves possession in the handshake.</summary>
    public required ISigner NodeSigner { get; init; }

    /// <summary>"host:port" to bind, e.g. "127.0.0.1:26656" or "0.0.0.0:26656"; port 0 picks a free one.</summary>
    public required string ListenAddress { get; init; }

    /// <summary>The allowed peers at start (<see cref="PeerNetwork.UpdatePeers"/> replaces them); this node's own key may be listed and is skipped.</summary>
    public required IReadOnlyList<PeerAddress> Validators { get; init; }

    /// <summary>A single application message larger than this is dropped and counted against its sender.</summary>
    public int MaxMessageBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>Bound of the outgoing queue of one peer; messages beyond it are dropped and counted.</summary>
    public int MaxQueuedBytesPerPeer { get; init; } = 64 * 1024 * 1024;

    public TimeSpan ReconnectMinDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan ReconnectMaxDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>From transport connect to a verified peer signature; slower connections are dropped.</summary>
    public TimeSpan HandshakeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Turns a peer's host name into addresses (IP literals never reach it). Runs off the network thread, bounded by
    /// <see cref="ResolveTimeout"/>; a test replaces it to play a nameserver that never answers.
    /// </summary>
    public Func<string, CancellationToken, Task<IPAddress[]>> Resolver { get; init; } = Dns.GetHostAddressesAsync;

    /// <summary>This node is an observer (docs/node.md, "Observers"): it dials the peers of <see cref="Validators"/> (validators
    /// or other observers) asking for observer sessions, and never counts as a validator at their end.</summary>
    public bool Observer { get; init; }

    /// <summary>Observer sessions this node accepts at once, apart from its validator peers: an observer that dials when
    /// all are taken is refused. 0 accepts none.</summary>
    public int MaxObservers { get; init; }

    /// <summary>When not null, only these keys may hold an observer session; null lets any key that proves itself in.</summary>
    public IReadOnlySet<Dkms.Core.Primitives.PublicKey>? ObserverKeys { get; init; }

    /// <summary>How long one resolution of a peer's host name may take before it counts as failed.</summary>
    public TimeSpan ResolveTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
