using System.Text;
using Dkms.Client;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;

namespace Dkms.LoadGen;

/// <summary>Transaction kinds of the mixed workload.</summary>
public enum Kind
{
    Inception,
    Rotation,
    AddKeyAgreementKey,
    RevokeKey,
    SetAgentPolicy,
}

/// <summary>The mix as weights: rotation, key-agreement (add, then revoke the added key), policy grant, new inception.</summary>
public sealed record Mix(int Rotation, int Kak, int Policy, int Inception)
{
    public static Mix Parse(string text)
    {
        int rotation = 0, kak = 0, policy = 0, inception = 0;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=');
            if (kv.Length != 2 || !int.TryParse(kv[1], out var w) || w < 0) throw new ArgumentException($"bad mix entry '{part}'");
            switch (kv[0].ToLowerInvariant())
            {
                case "rotation": rotation = w; break;
                case "kak": kak = w; break;
                case "policy": policy = w; break;
                case "inception": inception = w; break;
                default: throw new ArgumentException($"unknown mix kind '{kv[0]}' (rotation, kak, policy, inception)");
            }
        }

        if (rotation + kak + policy + inception == 0) throw new ArgumentException("the mix is empty");
        if (rotation + kak + policy == 0) throw new ArgumentException("the mix needs some rotation, kak or policy");
        return new Mix(rotation, kak, policy, inception);
    }

    public override string ToString() => $"rotation={Rotation},kak={Kak},policy={Policy},inception={Inception}";
}

/// <summary>One transaction of the run: pre-encoded for the wire, with what happened to it.</summary>
public sealed class Entry(string base64, string hash, Kind kind, bool setup, int lane = 0)
{
    /// <summary>Which submitter sends it: an identity's transactions all have its lane, so they reach one node in
    /// sequence order, as one wallet's would.</summary>
    public int Lane { get; } = lane;

    public string Base64 { get; } = base64;
    public string Hash { get; } = hash;
    public Kind Kind { get; } = kind;
    public bool Setup { get; } = setup;

    /// <summary>Stopwatch ticks of the first submission (0 = never submitted).</summary>
    public long FirstSubmit;

    /// <summary>Stopwatch ticks when the block holding it was first seen (0 = not seen).</summary>
    public long Commit;

    /// <summary>0 = not answered, 1 = accepted, 2 = rejected.</summary>
    public int State;

    public int Attempts;
    public string? RejectCode;
}

/// <summary>
/// Deterministic identities whose keys of rotation r derive from "label/r" (like the tests' TestIdentity),
/// each with its chain of pre-signed transactions in sequence order.
/// </summary>
public sealed class Workload
{
    private readonly TransactionBuilder _builder;
    private readonly string _runId;

    public Workload(string chainId, string runId)
    {
        _builder = new TransactionBuilder(chainId);
        _runId = runId;
    }

    public static Ed25519Signer KeyAt(string label, int rotation) =>
        Ed25519Signer.FromSeed(Hash32.Sha256(Encoding.UTF8.GetBytes($"{label}/{rotation}")).ToArray());

    private static PublicKey Derived(string label) => new(Hash32.Sha256(Encoding.UTF8.GetBytes(label)).ToArray());

    private static KeyConfig Config(PublicKey current, PublicKey next) => new([current], 1, [next.Digest()], 1);

    /// <summary>The inceptions of <paramref name="identities"/> identities of this run (signed on all cores), with the
    /// labels their keys derive from and their identifiers.</summary>
    public (string[] Labels, Entry[] Setup, IdentityId[] Ids) Inceptions(int identities)
    {
        var labels = Enumerable.Range(0, identities).Select(i => $"{_runId}/id{i}").ToArray();
        var setup = new Entry[identities];
        var ids = new IdentityId[identities];
        Parallel.For(0, identities, i =>
        {
            using var k0 = KeyAt(labels[i], 0);
            using var k1 = KeyAt(labels[i], 1);
            var (tx, id) = _builder.Inception(Config(k0.PublicKey, k1.PublicKey), [k0],
                [new KeyAgreementKeyEntry("x0", Derived(labels[i] + "/x0"), "encryption")]);
            ids[i] = id;
            setup[i] = new Entry(Convert.ToBase64String(tx.Encoded), tx.Hash.ToHex(), Kind.Inception, setup: true);
        });
        return (labels, setup, ids);
    }

    /// <summary>
    /// Builds <paramref name="identities"/> setup inceptions and <paramref name="total"/> run transactions.
    /// Non-inception transactions go to the identities round-robin, so one identity's next transaction
    /// comes <paramref name="identities"/> non-inception transactions later (one per identity per wave).
    /// Signing runs on all cores; nothing is signed during the run.
    /// </summary>
    public (Entry[] Setup, Entry[] Run) Build(int identities, int total, Mix mix, int seed)
    {
        var (labels, setup, ids) = Inceptions(identities);

        // The plan: kind and identity of each run position, decided in order with a seeded generator.
        var rng = new Random(seed);
        var weight = mix.Rotation + mix.Kak + mix.Policy + mix.Inception;
        var kinds = new Kind[total];
        var owner = new int[total];
        var perIdentity = new List<int>[identities];
        for (var i = 0; i < identities; i++) perIdentity[i] = [];
        var nextIdentity = 0;
        var kakAdded = new bool[identities];
        for (var j = 0; j < total; j++)
        {
            var r = rng.Next(weight);
            if (r < mix.Inception)
            {
                kinds[j] = Kind.Inception;
                owner[j] = -1;
                continue;
            }

            var i = nextIdentity;
            nextIdentity = (nextIdentity + 1) % identities;
            r -= mix.Inception;
            Kind kind;
            if (r < mix.Rotation) kind = Kind.Rotation;
            else if (r < mix.Rotation + mix.Kak)
            {
                // Alternate: add a key-agreement key, then revoke it.
                kind = kakAdded[i] ? Kind.RevokeKey : Kind.AddKeyAgreementKey;
                kakAdded[i] = !kakAdded[i];
            }
            else kind = Kind.SetAgentPolicy;
            kinds[j] = kind;
            owner[j] = i;
            perIdentity[i].Add(j);
        }

        var run = new Entry[total];
        Parallel.For(0, identities, i =>
        {
            var label = labels[i];
            var rotation = 0;
            var current = KeyAt(label, 0);
            ulong sequence = 1;
            var kak = 0;
            var grants = 0;
            foreach (var j in perIdentity[i])
            {
                sequence++;
                Transaction tx;
                switch (kinds[j])
                {
                    case Kind.Rotation:
                        var next = KeyAt(label, rotation + 1);
                        using (var after = KeyAt(label, rotation + 2))
                        {
                            tx = _builder.Rotation(ids[i], sequence, Config(next.PublicKey, after.PublicKey), [next]);
                        }

                        current.Dispose();
                        current = next;
                        rotation++;
                        break;
                    case Kind.AddKeyAgreementKey:
                        kak++;
                        tx = _builder.AddKeyAgreementKey(ids[i], sequence, new KeyAgreementKeyEntry($"k{kak}", Derived($"{label}/k{kak}"), "encryption"), [current]);
                        break;
                    case Kind.RevokeKey:
                        tx = _builder.RevokeKey(ids[i], sequence, $"k{kak}", null, null, [current]);
                        break;
                    default:
                        grants++;
                        tx = _builder.SetAgentPolicy(ids[i], sequence, $"p{grants / 32}",
                            [new AgentChange(Derived($"{label}/agent{grants}"), AgentRights.Prove | AgentRights.ProveGrant)], null,
                            [(current, (IdentityId?)null)]);
                        break;
                }

                run[j] = new Entry(Convert.ToBase64String(tx.Encoded), tx.Hash.ToHex(), kinds[j], setup: false, lane: i);
            }

            current.Dispose();
        });

        Parallel.For(0, total, j =>
        {
            if (kinds[j] != Kind.Inception) return;
            var label = $"{_runId}/new{j}";
            using var k0 = KeyAt(label, 0);
            using var k1 = KeyAt(label, 1);
            var (tx, _) = _builder.Inception(Config(k0.PublicKey, k1.PublicKey), [k0]);
            run[j] = new Entry(Convert.ToBase64String(tx.Encoded), tx.Hash.ToHex(), Kind.Inception, setup: false, lane: j);
        });

        return (setup, run);
    }
}
