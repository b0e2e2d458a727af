using System.Buffers.Binary;
using System.Text;
using Dkms.Core.Primitives;

namespace Dkms.Ledger.State;

/// <summary>
/// The store's key layout. Everything under <see cref="AuthenticatedPrefix"/> ('s') is a leaf of the
/// state Merkle tree and so covered by the state root; the other prefixes are indexes and history
/// derived deterministically from committed blocks.
/// </summary>
public static class StateKeys
{
    /// <summary>'s': authenticated current state.</summary>
    public const byte AuthenticatedPrefix = (byte)'s';

    private const byte IdentityTag = (byte)'i';
    private const byte PolicyTag = (byte)'p';
    private const byte RetiredKeyTag = (byte)'k';
    private const byte ValidatorsTag = (byte)'v';

    private const byte EventPrefix = (byte)'e';
    private const byte PolicyHistoryPrefix = (byte)'h';
    private const byte TxIndexPrefix = (byte)'t';
    private const byte HeightRootPrefix = (byte)'r';
    private const byte MetaPrefix = (byte)'m';
    private const byte ValidatorHistoryPrefix = (byte)'g';

    public static readonly byte[] Authenticated = [AuthenticatedPrefix];

    /// <summary>s i &lt;id&gt; → <see cref="IdentityState"/>.</summary>
    public static byte[] Identity(IdentityId id) => Build([AuthenticatedPrefix, IdentityTag], id);

    /// <summary>s p &lt;owner&gt; &lt;policy id utf-8&gt; → <see cref="AgentPolicy"/>.</summary>
    public static byte[] Policy(IdentityId owner, string policyId) =>
        [.. Build([AuthenticatedPrefix, PolicyTag], owner), .. Encoding.UTF8.GetBytes(policyId)];

    /// <summary>s k &lt;owner&gt; &lt;key&gt; → <see cref="RetiredKeyRecord"/>.</summary>
    public static byte[] RetiredKey(IdentityId owner, PublicKey key) =>
        [.. Build([AuthenticatedPrefix, RetiredKeyTag], owner), .. key.ToArray()];

    /// <summary>s v → <see cref="ValidatorSetState"/>.</summary>
    public static readonly byte[] Validators = [AuthenticatedPrefix, ValidatorsTag];

    /// <summary>e &lt;id&gt; &lt;sequence, big-endian&gt; → <see cref="EventRecord"/>.</summary>
    public static byte[] Event(IdentityId id, ulong sequence) => WithNumber(EventsOf(id), sequence);

    public static byte[] EventsOf(IdentityId id) => Build([EventPrefix], id);

    /// <summary>h &lt;owner&gt; &lt;len&gt; &lt;policy id&gt; &lt;height&gt; → policy bytes as of that height.</summary>
    public static byte[] PolicyHistory(IdentityId owner, string policyId, ulong height) => WithNumber(PolicyHistoryOf(owner, policyId), height);

    public static byte[] PolicyHistoryOf(IdentityId owner, string policyId)
    {
        var name = Encoding.UTF8.GetBytes(policyId);
        // The length byte keeps "ab" from being a prefix of "abc"'s history.
        return [.. Build([PolicyHistoryPrefix], owner), (byte)name.Length, .. name];
    }

    /// <summary>t &lt;tx hash&gt; → <see cref="TxLocation"/>.</summary>
    public static byte[] Tx(Hash32 hash) => [TxIndexPrefix, .. hash.ToArray()];

    /// <summary>r &lt;height&gt; → <see cref="HeightRecord"/>.</summary>
    public static byte[] HeightRoot(ulong height) => WithNumber([HeightRootPrefix], height);

    /// <summary>g &lt;activation height&gt; → the validator list in force from that height.</summary>
    public static byte[] ValidatorHistory(ulong fromHeight) => WithNumber([ValidatorHistoryPrefix], fromHeight);

    public static readonly byte[] ValidatorHistoryAll = [ValidatorHistoryPrefix];

    public static readonly byte[] LastCommitted = [MetaPrefix, .. "last"u8];

    private static byte[] Build(byte[] prefix, IdentityId id)
    {
        var k = new byte[prefix.Length + IdentityId.Size];
        prefix.CopyTo(k, 0);
        id.CopyTo(k.AsSpan(prefix.Length));
        return k;
    }

    private static byte[] WithNumber(byte[] prefix, ulong n)
    {
        var k = new byte[prefix.Length + 8];
        prefix.CopyTo(k, 0);
        BinaryPrimitives.WriteUInt64BigEndian(k.AsSpan(prefix.Length), n);
        return k;
    }
}
