using Dkms.Node.Mempool;

namespace Dkms.Node;

/// <summary>
/// One node's settings (docs/node.md): from a JSON file, environment variables <c>DKMS_NODE__…</c> and
/// the command line, in that order of precedence (later wins). Paths relative to the config file's folder
/// are resolved by the loader.
/// </summary>
public sealed record NodeSettings
{
    /// <summary>Folder of the node's database (RocksDB under <c>ledger/</c>).</summary>
    public string DataDir { get; init; } = "data";

    public string GenesisFile { get; init; } = "genesis/genesis.json";

    /// <summary>The node's Ed25519 key (JSON, mode 0600); created by <c>dkms-node init</c>.</summary>
    public string NodeKeyFile { get; init; } = "";

    /// <summary>P2P "host:port" to bind; empty = the port of this node's genesis address on all interfaces.</summary>
    public string P2PListen { get; init; } = "";

    /// <summary>JSON-RPC "host:port"; loopback by default.</summary>
    public string RpcListen { get; init; } = "127.0.0.1:26657";

    /// <summary>Largest accepted RPC request body, bytes.</summary>
    public long MaxRequestBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>TLS, bearer token and limits of the RPC (docs/node.md "Exposing the RPC beyond loopback").</summary>
    public Rpc.RpcOptions Rpc { get; init; } = new();

    /// <summary>Longest a <c>commit</c> submission waits, milliseconds (a request may ask for less).</summary>
    public int MaxCommitWaitMs { get; init; } = 60_000;

    /// <summary>"rocksdb" (default) or "memory" (tests, nothing survives a restart).</summary>
    public string Storage { get; init; } = "rocksdb";

    public MempoolOptions Mempool { get; init; } = new();

    /// <summary>Per-node overrides of the genesis consensus timing (milliseconds); null keeps the genesis value.</summary>
    public ConsensusOverrides Consensus { get; init; } = new();

    /// <summary>Peer-to-peer settings beyond the listen address: the observers this node accepts.</summary>
    public P2PSettings P2P { get; init; } = new();

    /// <summary>Observer mode (docs/node.md, "Observers"): follow the chain from the peers listed, serve reads, never sign.</summary>
    public ObserverSettings Observer { get; init; } = new();

    public string ResolvedNodeKeyFile => NodeKeyFile.Length > 0 ? NodeKeyFile : Path.Combine(DataDir, "node_key.json");
}

public sealed record ConsensusOverrides
{
    public int? TimeoutProposeMs { get; init; }
    public int? TimeoutPrevoteMs { get; init; }
    public int? TimeoutPrecommitMs { get; init; }
    public int? BatchDelayMs { get; init; }
    public int? MaxBlockTransactions { get; init; }
    public bool? CreateEmptyBlocks { get; init; }

    /// <summary>Share of the propose timeout a proposal may take to reach a quorum at the measured transfer rate, in
    /// percent (docs/consensus.md "Block size by transfer pace"); 0 turns the transfer pace off.</summary>
    public int? ProposeTransferPercent { get; init; }
}

public sealed record P2PSettings
{
    /// <summary>Observer sessions accepted at once, apart from the validators; 0 accepts none.</summary>
    public int MaxObservers { get; init; } = 16;

    /// <summary>Node keys (hex) allowed an observer session; empty lets any observer that proves its key in.</summary>
    public string[] ObserverKeys { get; init; } = [];
}

public sealed record ObserverSettings
{
    /// <summary>Run as an observer: never sign, refuse transactions, follow the blocks of <see cref="Peers"/> (and of the
    /// validators, see <see cref="FollowValidators"/>).</summary>
    public bool Enabled { get; init; }

    /// <summary>Where blocks come from: validators or other observers, each "nodekeyhex@host:port".</summary>
    public string[] Peers { get; init; } = [];

    /// <summary>Also dial the validators of the committed set, at the addresses their SetValidators registered (the
    /// genesis's at first), so a validator-set change never leaves the observer without a source. False: only
    /// <see cref="Peers"/> (an observer behind other observers, keeping the validators' load down).</summary>
    public bool FollowValidators { get; init; } = true;
}
