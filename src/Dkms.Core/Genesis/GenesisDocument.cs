using System.Text.Json;
using System.Text.Json.Serialization;
using Dkms.Core.Blocks;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;

namespace Dkms.Core.Genesis;

/// <summary>
/// The genesis file every node and client of a chain shares (format in genesis/README.md): the chain
/// id, the initial validators with their node public keys, P2P addresses and voting power, and the
/// consensus and ledger parameters. It holds no private key. The ledger starts empty apart from the validator set.
/// </summary>
public sealed record GenesisDocument
{
    public required string ChainId { get; init; }

    /// <summary>Time of the chain's start (informational; block times come from proposers' clocks).</summary>
    public DateTimeOffset GenesisTime { get; init; }

    public required GenesisValidator[] Validators { get; init; }

    public ConsensusParameters Consensus { get; init; } = new();

    /// <summary>Rules of the ledger fixed for the chain's life (absent: the defaults).</summary>
    public LedgerParameters Ledger { get; init; } = new();

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public ValidatorEntry[] ValidatorEntries() => [.. Validators.Select(v => new ValidatorEntry(v.Key, v.Address, v.Power))];

    public ValidatorSet ValidatorSet() => new(Validators.Select(v => new Validator(v.Key, v.Power)));

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>What tells two chains apart even under one chain id: SHA-256 of the document's canonical JSON (as
    /// <see cref="ToJson"/> writes it), so the same content hashes alike however its file was formatted.</summary>
    public Hash32 ComputeHash() => Hash32.Sha256(System.Text.Encoding.UTF8.GetBytes(ToJson()));

    /// <summary>Parses and checks a genesis file's text; throws <see cref="GenesisException"/> with the reason.</summary>
    public static GenesisDocument Parse(string json)
    {
        GenesisDocument? doc;
        try
        {
            doc = JsonSerializer.Deserialize<GenesisDocument>(json, Json);
        }
        catch (JsonException e)
        {
            throw new GenesisException($"genesis is not valid JSON: {e.Message}");
        }

        if (doc is null) throw new GenesisException("genesis is empty");
        doc.Validate();
        return doc;
    }

    public static GenesisDocument Load(string path)
    {
        if (!File.Exists(path)) throw new GenesisException($"genesis file '{path}' does not exist");
        return Parse(File.ReadAllText(path));
    }

    private void Validate()
    {
        if (string.IsNullOrWhiteSpace(ChainId) || ChainId.Length > Limits.MaxNameLength) throw new GenesisException($"chainId must be 1..{Limits.MaxNameLength} characters");
        if (Validators is not { Length: > 0 }) throw new GenesisException("genesis lists no validators");
        if (Validators.Length > Governance.MaxValidators) throw new GenesisException($"at most {Governance.MaxValidators} validators");
        var keys = new HashSet<PublicKey>();
        foreach (var v in Validators)
        {
            if (!keys.Add(v.Key)) throw new GenesisException($"validator key {v.NodeKey} appears twice");
            if (v.Power <= 0) throw new GenesisException($"validator {v.Name} has power {v.Power}; it must be positive");
            if (ValidatorAddress.Check(v.Address) is { } why) throw new GenesisException($"validator {v.Name} has address '{v.Address}': {why} (expected host:port, as in a SetValidators)");
        }

        if (Consensus is null) throw new GenesisException("consensus parameters are null");
        Consensus.Validate();
        if (Ledger is null) throw new GenesisException("ledger parameters are null");
        Ledger.Validate();
    }

    /// <summary>Splits "host:port" (an IPv6 host in brackets) with the one parser, <see cref="HostPort"/>.</summary>
    public static bool TrySplitAddress(string? address, out string host, out int port) => HostPort.TryParse(address, out host, out port);
}

public sealed record GenesisValidator
{
    /// <summary>A name for people and logs (e.g. "node0").</summary>
    public string Name { get; init; } = "";

    /// <summary>Ed25519 node public key, 64 hex characters.</summary>
    public required string NodeKey { get; init; }

    /// <summary>P2P address "host:port" the other validators dial.</summary>
    public required string Address { get; init; }

    public long Power { get; init; } = 1;

    [JsonIgnore]
    public PublicKey Key
    {
        get
        {
            try
            {
                return PublicKey.ParseHex(NodeKey);
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                throw new GenesisException($"validator {Name} has node key '{NodeKey}'; expected 64 hex characters");
            }
        }
    }
}

/// <summary>Consensus timing and block limits shared by all validators (milliseconds, counts, bytes).</summary>
public sealed record ConsensusParameters
{
    public int TimeoutProposeMs { get; init; } = 1000;
    public int TimeoutProposeIncrementMs { get; init; } = 500;
    public int TimeoutPrevoteMs { get; init; } = 500;
    public int TimeoutPrevoteIncrementMs { get; init; } = 250;
    public int TimeoutPrecommitMs { get; init; } = 500;
    public int TimeoutPrecommitIncrementMs { get; init; } = 250;

    /// <summary>How long a proposer gathers transactions after its round starts.</summary>
    public int BatchDelayMs { get; init; } = 10;

    /// <summary>Most transactions per block. Per-block costs (votes, fsyncs, persistence, commit) are paid per
    /// block, so under load larger blocks commit more per second: on the 2-core test machine 5,000 gave a
    /// single validator 6,650 tx/s against 5,265 with 2,000, and four validators 3,200 against 2,400
    /// (docs/performance-e2e.md). A light load still makes small blocks: a proposer takes what is ready.</summary>
    public int MaxBlockTransactions { get; init; } = 5000;
    public int MaxBlockBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>False: an idle chain waits for transactions instead of committing empty blocks.</summary>
    public bool CreateEmptyBlocks { get; init; }

    /// <summary>With <see cref="CreateEmptyBlocks"/> false, how long an idle chain waits before it commits an empty block anyway,
    /// milliseconds (0: never). It keeps the latest certified block time recent, which verifying clients check against their
    /// freshness bound (default 5 minutes; docs/rpc.md "Verifying an answer").</summary>
    public int IdleBlockIntervalMs { get; init; } = 60_000;

    internal void Validate()
    {
        if (TimeoutProposeMs <= 0 || TimeoutPrevoteMs <= 0 || TimeoutPrecommitMs <= 0) throw new GenesisException("consensus timeouts must be positive");
        if (TimeoutProposeIncrementMs < 0 || TimeoutPrevoteIncrementMs < 0 || TimeoutPrecommitIncrementMs < 0) throw new GenesisException("timeout increments must not be negative");
        if (BatchDelayMs < 0) throw new GenesisException("batchDelayMs must not be negative");
        if (MaxBlockTransactions <= 0 || MaxBlockBytes <= 0) throw new GenesisException("block limits must be positive");
        if (IdleBlockIntervalMs < 0) throw new GenesisException("idleBlockIntervalMs must not be negative");
    }
}

public sealed class GenesisException(string message) : Exception(message);
