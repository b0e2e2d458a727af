using Dkms.Core.Encoding;
using Dkms.Core.Transactions;
using Dkms.Ledger.Tests.Support;

namespace Dkms.Ledger.Tests.Rules;

public class ReplayAndEncodingTests
{
    private static KeyAgreementKeyEntry Kak(string id) => new(id, new Actor("kak-" + id).Current[0].PublicKey, "encryption");

    [Fact]
    public void Replayed_transaction_is_rejected_as_a_duplicate()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice"));
        var tx = alice.Sign(new AddKeyAgreementKeyPayload(Kak("k1")), h.Seq(alice), alice.Current);
        h.Accept(tx);
        h.Reject(tx, ErrorCode.Duplicate);
    }

    [Fact]
    public void Every_kind_of_committed_transaction_submitted_again_is_rejected_as_a_duplicate()
    {
        // The transaction index is read only for transactions the rules refuse; this pins that every
        // committed type is refused again (by sequence or existence) and so still reported as Duplicate.
        using var h = new LedgerHarness();
        var bob = h.Create(new Actor("bob"));
        var carol = h.Create(new Actor("carol"));
        var erin = h.Create(new Actor("erin"));
        var alice = new Actor("alice");
        var committed = new List<Transaction> { alice.Incept(new RecoveryPolicy([bob.Id, carol.Id], 2, 60)) };
        h.Accept(committed[^1]);
        committed.Add(alice.Sign(new AddKeyAgreementKeyPayload(Kak("k1")), h.Seq(alice), alice.Current));
        h.Accept(committed[^1]);
        committed.Add(alice.Sign(new RevokeKeyPayload("k1", null, null), h.Seq(alice), alice.Current));
        h.Accept(committed[^1]);
        committed.Add(alice.Sign(new SetAgentPolicyPayload("p", [new AgentChange(alice.Agent("phone").PublicKey, AgentRights.Prove)], null), h.Seq(alice), alice.Current));
        h.Accept(committed[^1]);
        committed.Add(alice.Sign(new RotationPayload(alice.ConfigAt(1)), h.Seq(alice), alice.Next));
        h.Accept(committed[^1]);
        alice.Rotation = 1;
        committed.Add(alice.SignWith(new RecoveryStartPayload(new Actor("alice-new").ConfigAt(0)), h.Seq(alice), bob.AsTrustee().Concat(carol.AsTrustee())));
        h.Accept(committed[^1]);
        h.TimeMs += 60_000;
        committed.Add(alice.Sign(new RecoveryFinalizePayload(), h.Seq(alice), []));
        h.Accept(committed[^1]);
        committed.Add(erin.Sign(new DeactivatePayload(), h.Seq(erin), erin.Next));
        h.Accept(committed[^1]);

        Assert.All(h.Block([.. committed]), r => Assert.Equal(ErrorCode.Duplicate, r.Code));
        foreach (var tx in committed) h.Reject(tx, ErrorCode.Duplicate);
    }

    [Fact]
    public void Duplicate_within_one_block_is_rejected()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice"));
        var tx = alice.Sign(new AddKeyAgreementKeyPayload(Kak("k1")), h.Seq(alice), alice.Current);
        var results = h.Block(tx, tx);
        Assert.True(results[0].IsOk);
        Assert.Equal(ErrorCode.Duplicate, results[1].Code);
    }

    [Fact]
    public void Large_block_reads_ahead_and_still_sees_replays_repeats_and_its_own_writes()
    {
        // 40+ transactions: the ledger reads the subjects' committed state on all cores before executing.
        using var h = new LedgerHarness();
        var actors = Enumerable.Range(0, 12).Select(i => h.Create(new Actor($"a{i}"))).ToArray();
        var committed = actors[0].Sign(new AddKeyAgreementKeyPayload(Kak("k0")), h.Seq(actors[0]), actors[0].Current);
        h.Accept(committed);

        var fresh = Enumerable.Range(0, 10).Select(i => new Actor($"new{i}")).ToArray();
        var txs = new List<Transaction> { committed };                                       // replay of a committed tx
        txs.AddRange(fresh.Select(a => a.Incept()));                                          // created in this block
        txs.AddRange(fresh.Select(a => a.Sign(new AddKeyAgreementKeyPayload(Kak("k")), 2, a.Current))); // and used in it
        var repeated = actors[1].Sign(new AddKeyAgreementKeyPayload(Kak("k1")), 2, actors[1].Current);
        txs.Add(repeated);
        txs.Add(repeated);                                                                    // repeat within the block
        txs.AddRange(actors.Skip(2).Select(a => a.Sign(new AddKeyAgreementKeyPayload(Kak("k2")), 2, a.Current)));
        txs.AddRange(actors.Skip(2).Select(a => a.Sign(new AddKeyAgreementKeyPayload(Kak("k3")), 2, a.Current))); // stale sequence
        txs.Add(actors[0].Incept());                                                          // replayed inception
        var ghost = new Actor("ghost");
        _ = ghost.Incept(); // never submitted: the identity does not exist
        txs.Add(ghost.Sign(new AddKeyAgreementKeyPayload(Kak("k")), 2, ghost.Current));
        Assert.True(txs.Count >= 40);

        var results = h.Block([.. txs]);
        var i = 0;
        Assert.Equal(ErrorCode.Duplicate, results[i++].Code);
        for (var k = 0; k < 20; k++) Assert.True(results[i++].IsOk, results[i - 1].Message);
        Assert.True(results[i++].IsOk);
        Assert.Equal(ErrorCode.Duplicate, results[i++].Code);
        for (var k = 0; k < 10; k++) Assert.True(results[i++].IsOk);
        for (var k = 0; k < 10; k++) Assert.Equal(ErrorCode.BadSequence, results[i++].Code);
        Assert.Equal(ErrorCode.Duplicate, results[i++].Code);
        Assert.Equal(ErrorCode.UnknownIdentity, results[i++].Code);
        Assert.All(fresh, a => Assert.Equal(2UL, h.Ledger.GetIdentity(a.Id)!.Sequence));
    }

    [Fact]
    public void Reordered_transactions_fail_on_sequence()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice"));
        var first = alice.Sign(new AddKeyAgreementKeyPayload(Kak("k1")), 2, alice.Current);
        var second = alice.Sign(new AddKeyAgreementKeyPayload(Kak("k2")), 3, alice.Current);
        var results = h.Block(second, first);
        Assert.Equal(ErrorCode.BadSequence, results[0].Code);
        Assert.True(results[1].IsOk);
    }

    [Fact]
    public void Same_body_signed_again_after_commit_is_the_same_transaction()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice", keys: 2, threshold: 1));
        var payload = new AddKeyAgreementKeyPayload(Kak("k1"));
        var first = alice.Sign(payload, 2, alice.Current.Take(1));
        h.Accept(first);
        // Another signature set over the same body has the same identifier: a duplicate, and its author learns
        // that the body it signed is committed.
        var again = alice.Sign(payload, 2, alice.Current.Skip(1));
        Assert.Equal(first.Hash, again.Hash);
        h.Reject(again, ErrorCode.Duplicate);
    }

    [Fact]
    public void Transaction_for_another_chain_is_rejected()
    {
        using var h = new LedgerHarness();
        var alice = new Actor("alice");
        h.Reject(alice.Incept(chain: "other-chain"), ErrorCode.WrongChain);
    }

    [Fact]
    public void Transaction_on_an_unknown_identity_is_rejected()
    {
        using var h = new LedgerHarness();
        var ghost = new Actor("ghost");
        ghost.Incept();
        h.Reject(ghost.Sign(new AddKeyAgreementKeyPayload(Kak("k1")), 2, ghost.Current), ErrorCode.UnknownIdentity);
    }

    [Fact]
    public void Tampered_signature_is_rejected()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice"));
        var tx = alice.Sign(new AddKeyAgreementKeyPayload(Kak("k1")), h.Seq(alice), alice.Current);
        var envelope = Codec.Decode<SignedTransactionEnvelope>(tx.Encoded);
        var sig = (byte[])envelope.Signatures[0].Signature.Clone();
        sig[5] ^= 1;
        var tampered = Codec.Encode(envelope with { Signatures = [envelope.Signatures[0] with { Signature = sig }] });
        h.Reject(TransactionCodec.Decode(tampered), ErrorCode.BadSignature);
    }

    [Fact]
    public void Signature_over_a_different_body_does_not_carry_over()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice"));
        var signed = alice.Sign(new AddKeyAgreementKeyPayload(Kak("k1")), h.Seq(alice), alice.Current);
        var other = alice.Sign(new AddKeyAgreementKeyPayload(Kak("k2")), h.Seq(alice), alice.Current);
        var envelope = Codec.Decode<SignedTransactionEnvelope>(other.Encoded) with { Signatures = [.. signed.Signatures] };
        h.Reject(TransactionCodec.Decode(Codec.Encode(envelope)), ErrorCode.BadSignature);
    }

    public static TheoryData<byte[]> MalformedInputs() => new()
    {
        Array.Empty<byte>(),
        new byte[] { 0xc1 },
        new byte[] { 0x92, 0xc4, 0x01 },
        new byte[] { 0x92, 0xc4, 0x00, 0x90 },
        new byte[] { 0xdd, 0xff, 0xff, 0xff, 0xff },
        new byte[Limits.MaxTransactionBytes + 1],
        "not messagepack at all"u8.ToArray(),
    };

    [Theory]
    [MemberData(nameof(MalformedInputs))]
    public void Malformed_bytes_give_Malformed(byte[] bytes)
    {
        Assert.False(TransactionCodec.TryDecode(bytes, out var tx, out var error));
        Assert.Null(tx);
        Assert.Equal(ErrorCode.Malformed, error.Code);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public void Every_truncation_and_single_byte_change_of_a_transaction_is_handled_without_a_crash()
    {
        var alice = new Actor("alice");
        var bytes = alice.Incept().Encoded;
        for (var n = 0; n < bytes.Length; n++)
        {
            Assert.False(TransactionCodec.TryDecode(bytes[..n], out _, out var e));
            Assert.Equal(ErrorCode.Malformed, e.Code);
        }

        var rnd = new Random(7);
        for (var i = 0; i < 2000; i++)
        {
            var copy = (byte[])bytes.Clone();
            copy[rnd.Next(copy.Length)] ^= (byte)(1 << rnd.Next(8));
            // Either it still decodes (then it is a different, signature-checked transaction) or it is Malformed.
            if (!TransactionCodec.TryDecode(copy, out _, out var e)) Assert.Equal(ErrorCode.Malformed, e.Code);
        }
    }

    [Fact]
    public void Non_canonical_encoding_is_rejected()
    {
        var alice = new Actor("alice");
        var tx = alice.Incept();
        // Same envelope with the signature array written with a 16-bit length header instead of a fixarray.
        var envelope = Codec.Decode<SignedTransactionEnvelope>(tx.Encoded);
        var body = Codec.Encode(envelope.Body);
        var sigs = Codec.Encode(envelope.Signatures);
        byte[] narrow = [0x92, .. body, .. sigs];
        Assert.True(TransactionCodec.TryDecode(narrow, out _, out _), "the canonical form built the same way must decode");
        byte[] wide = [0x92, .. body, 0xdc, 0x00, (byte)envelope.Signatures.Length, .. sigs[1..]];
        Assert.False(TransactionCodec.TryDecode(wide, out _, out var error));
        Assert.Equal(ErrorCode.Malformed, error.Code);
    }

    [Fact]
    public void Rejected_transactions_leave_state_untouched()
    {
        using var h = new LedgerHarness();
        var alice = h.Create(new Actor("alice"));
        var root = h.Ledger.StateRoot;
        var results = h.Block(
            alice.Sign(new RotationPayload(new Actor("thief").ConfigAt(0)), h.Seq(alice), alice.Current),
            alice.Sign(new DeactivatePayload(), h.Seq(alice), alice.Current));
        Assert.All(results, r => Assert.False(r.IsOk));
        Assert.Equal(root, h.Ledger.StateRoot);
        Assert.Equal(1UL, h.Ledger.GetIdentity(alice.Id)!.Sequence);
    }
}
