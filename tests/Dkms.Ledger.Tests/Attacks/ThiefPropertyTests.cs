using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;
using Dkms.Ledger.State;
using Dkms.Ledger.Tests.Support;

namespace Dkms.Ledger.Tests.Attacks;

/// <summary>
/// A seeded adversary holding Alice's current signing keys, two accomplice identities (all their keys) and keys of
/// its own sends sequences of up to 20 transactions of every type — valid and invalid, with any mix of the
/// signatures it can make and any signer labels — spread over blocks and block times. Until the delay that
/// protected Alice before the attack has passed (her policy's, or the chain's minimum when she had none), her
/// signing keys and next-key digests never change and she is never deactivated.
/// </summary>
public class ThiefPropertyTests
{
    private const ulong OwnerDelaySeconds = 3600;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_thief_with_the_current_keys_never_changes_the_keys_before_the_owners_delay(bool ownerHasPolicy)
    {
        var protectedMs = (ownerHasPolicy ? OwnerDelaySeconds : LedgerHarness.MinRecoveryDelaySeconds) * 1000;
        var accepted = new Dictionary<TxType, int>();
        for (var seed = 0; seed < 150; seed++)
        {
            using var h = new LedgerHarness();
            var bob = h.Create(new Actor("bob"));
            var carol = h.Create(new Actor("carol"));
            var accomplices = new[] { h.Create(new Actor("mallory")), h.Create(new Actor("trent")) };
            var alice = h.Create(new Actor("alice"), ownerHasPolicy ? new RecoveryPolicy([bob.Id, carol.Id], 2, OwnerDelaySeconds) : null);
            var before = h.Ledger.GetIdentity(alice.Id)!.Keys;
            var attackStart = h.TimeMs;
            var thief = new Thief(new Random(seed), h, alice, accomplices, [bob.Id, carol.Id]);

            var sent = 0;
            while (sent < 20)
            {
                var block = thief.Block(Math.Min(20 - sent, 1 + thief.Rng.Next(4)));
                sent += block.Length;
                var results = h.Block(block);
                for (var i = 0; i < block.Length; i++)
                {
                    if (results[i].IsOk && block[i].Subject == alice.Id) accepted[block[i].Type] = accepted.GetValueOrDefault(block[i].Type) + 1;
                }

                var now = h.Ledger.GetIdentity(alice.Id)!;
                Assert.True(before.SigningKeys.SequenceEqual(now.Keys.SigningKeys), $"seed {seed}: the signing keys changed {h.TimeMs - attackStart} ms into the attack");
                Assert.True(before.NextKeyDigests.SequenceEqual(now.Keys.NextKeyDigests), $"seed {seed}: the next-key digests changed");
                Assert.NotEqual(IdentityStatus.Deactivated, now.Status);
                h.TimeMs = Math.Min(h.TimeMs + (ulong)thief.Rng.NextInt64((long)(protectedMs / 8)), attackStart + protectedMs - 1000);
            }
        }

        // The adversary is not idle: its everyday changes and policy changes do land.
        Assert.True(accepted.GetValueOrDefault(TxType.SetRecoveryPolicy) > 0, "no policy change of the thief was ever accepted");
        Assert.True(accepted.GetValueOrDefault(TxType.AddKeyAgreementKey) + accepted.GetValueOrDefault(TxType.SetAgentPolicy) > 0);
    }

    /// <summary>Makes the thief's transactions from what it holds.</summary>
    private sealed class Thief(Random rng, LedgerHarness h, Actor alice, Actor[] accomplices, IdentityId[] ownerTrustees)
    {
        private readonly Actor _newKeys = new("thief-keys");
        private readonly Ed25519Signer[] _own = [.. Enumerable.Range(0, 3).Select(i => new Actor($"thief-{i}").Current[0])];
        private int _counter;

        public Random Rng { get; } = rng;

        public Transaction[] Block(int count)
        {
            var seq = h.Seq(alice);
            return [.. Enumerable.Range(0, count).Select(_ => Next(ref seq))];
        }

        private Transaction Next(ref ulong seq)
        {
            // Mostly the next sequence of Alice (so chains of transactions in one block line up), sometimes anything.
            var sequence = Rng.Next(8) switch
            {
                0 => seq + (ulong)Rng.Next(3),
                1 => Math.Max(1, seq - 1),
                _ => seq++,
            };
            var payload = Payload();
            var signers = Signatures(payload).ToList();
            if (signers.Count == 0) signers.Add((alice.Current[0], null));
            var subject = payload is InceptionPayload p ? TransactionCodec.DeriveIdentity(p) : alice.Id;
            return TransactionCodec.Sign(new TxBody(LedgerHarness.Chain, subject, sequence, payload), signers);
        }

        private TxPayload Payload() => Rng.Next(12) switch
        {
            0 => new RotationPayload(_newKeys.ConfigAt(Rng.Next(2)), Rng.Next(2) == 0 ? Policy() : null),
            1 => new AddKeyAgreementKeyPayload(new KeyAgreementKeyEntry($"k{_counter++}", _own[Rng.Next(_own.Length)].PublicKey, "enc")),
            2 => new RevokeKeyPayload(Rng.Next(2) == 0 ? "k0" : null, Rng.Next(2) == 0 ? alice.Current[0].PublicKey : null, null),
            3 or 4 or 11 => new SetRecoveryPolicyPayload(Policy(), Immediate: Rng.Next(3) == 0),
            5 => new RecoveryStartPayload(_newKeys.ConfigAt(0)),
            6 => new RecoveryCancelPayload(),
            7 => new RecoveryFinalizePayload(),
            8 => new DeactivatePayload(),
            9 => new SetAgentPolicyPayload("p", [new AgentChange(_own[Rng.Next(_own.Length)].PublicKey, (AgentRights)Rng.Next(16))], Rng.Next(3) == 0 ? 1 : null),
            _ => _newKeys.InceptionPayload(Policy()),
        };

        private RecoveryPolicy Policy()
        {
            IdentityId[] pool = [.. accomplices.Select(a => a.Id), .. ownerTrustees];
            var trustees = Rng.Next(2) == 0
                ? [.. accomplices.Select(a => a.Id)]
                : pool.OrderBy(_ => Rng.Next()).Take(2 + Rng.Next(pool.Length - 1)).ToArray();
            ulong[] delays = [0, LedgerHarness.MinRecoveryDelaySeconds, LedgerHarness.MinRecoveryDelaySeconds + 1, (ulong)Rng.Next(100_000)];
            return new RecoveryPolicy(trustees, 2, delays[Rng.Next(delays.Length)]);
        }

        /// <summary>
        /// Mostly what the type's rule would count from what the thief holds (so that chains of steps can work),
        /// otherwise any mix: Alice's current keys, the accomplices' keys (current and next, labelled as trustees or
        /// not), Alice's key claiming to be one of her trustees', keys of its own, the keys it wants Alice to have.
        /// </summary>
        private IEnumerable<(ISigner, IdentityId?)> Signatures(TxPayload payload)
        {
            if (Rng.Next(10) < 7)
            {
                return payload switch
                {
                    RotationPayload or InceptionPayload => _newKeys.Current.Select(k => ((ISigner)k, (IdentityId?)null)),
                    RecoveryStartPayload or RecoveryCancelPayload => accomplices.SelectMany(a => a.AsTrustee()),
                    RecoveryFinalizePayload => [(_own[Rng.Next(_own.Length)], null)],
                    _ => alice.Current.Select(k => ((ISigner)k, (IdentityId?)null)),
                };
            }

            return AnyMix(payload);
        }

        private IEnumerable<(ISigner, IdentityId?)> AnyMix(TxPayload payload)
        {
            if (Rng.Next(3) > 0) yield return (alice.Current[0], null);
            foreach (var a in accomplices)
            {
                if (Rng.Next(2) == 0) yield return (a.Current[0], a.Id);
                if (Rng.Next(6) == 0) yield return (a.Next[0], Rng.Next(2) == 0 ? a.Id : null);
            }

            if (Rng.Next(5) == 0) yield return (alice.Current[0], ownerTrustees[Rng.Next(ownerTrustees.Length)]);
            if (Rng.Next(4) == 0) yield return (_own[Rng.Next(_own.Length)], null);
            if (Rng.Next(4) == 0) yield return (_newKeys.Current[0], null);
            if (payload is RotationPayload && Rng.Next(2) == 0) yield return (_newKeys.Next[0], null);
        }
    }
}
