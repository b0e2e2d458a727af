using System.Text.Json.Nodes;
using Dkms.Core.Crypto;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Core.Transactions;

namespace Dkms.Core.Tests.WireFormat;

/// <summary>
/// The test vectors of docs/wire-format.md, built with the product's own encoder from fixed keys: every transaction
/// type, the identifier derivation and an agent-proof statement. Each vector carries its input in the plain JSON a
/// third-party client starts from and the bytes the product makes of it, so the doc can be checked against the code
/// (<see cref="WireFormatDocTests"/>) and a foreign client against the doc (tests/interop/wire-format.mjs).
/// </summary>
internal static class WireVectors
{
    public const string ChainId = "dkms-wire-vectors";

    /// <summary>Key n is the Ed25519 key whose 32-byte seed is the byte n repeated: anyone can rebuild it.</summary>
    public static byte[] Seed(byte n) => Enumerable.Repeat(n, 32).ToArray();

    private static readonly Ed25519Signer K1 = Ed25519Signer.FromSeed(Seed(1));
    private static readonly Ed25519Signer K2 = Ed25519Signer.FromSeed(Seed(2));
    private static readonly Ed25519Signer K3 = Ed25519Signer.FromSeed(Seed(3));
    private static readonly Ed25519Signer T1 = Ed25519Signer.FromSeed(Seed(4));
    private static readonly Ed25519Signer T2 = Ed25519Signer.FromSeed(Seed(5));
    private static readonly Ed25519Signer Agent = Ed25519Signer.FromSeed(Seed(6));
    private static readonly Ed25519Signer Validator = Ed25519Signer.FromSeed(Seed(7));

    private static readonly Dictionary<PublicKey, byte> SeedOf = new()
    {
        [K1.PublicKey] = 1,
        [K2.PublicKey] = 2,
        [K3.PublicKey] = 3,
        [T1.PublicKey] = 4,
        [T2.PublicKey] = 5,
        [Agent.PublicKey] = 6,
        [Validator.PublicKey] = 7,
    };

    /// <summary>An X25519 key-agreement key: its 32 bytes are opaque to the ledger, so a fixed pattern serves.</summary>
    private static readonly PublicKey AgreementKey = new(Enumerable.Range(0, 32).Select(i => (byte)(0x40 + i)).ToArray());

    private static readonly InceptionPayload Inception = new(
        new KeyConfig([K1.PublicKey], 1, [K2.PublicKey.Digest()], 1),
        [new KeyAgreementKeyEntry("enc-1", AgreementKey, "encryption")],
        null);

    public static readonly IdentityId Subject = TransactionCodec.DeriveIdentity(Inception);

    private static readonly IdentityId Trustee1 = TransactionCodec.DeriveIdentity(new InceptionPayload(new KeyConfig([T1.PublicKey], 1, [], 0), [], null));
    private static readonly IdentityId Trustee2 = TransactionCodec.DeriveIdentity(new InceptionPayload(new KeyConfig([T2.PublicKey], 1, [], 0), [], null));

    private sealed record TxVector(string Name, TxBody Body, (Ed25519Signer Key, IdentityId? Signer)[] Signers);

    private static IEnumerable<TxVector> Transactions()
    {
        var policy = new RecoveryPolicy([Trustee1, Trustee2], 2, 86_400);
        yield return new("inception", new TxBody(ChainId, Subject, 1, Inception), [(K1, null)]);
        yield return new("addKeyAgreementKey", new TxBody(ChainId, Subject, 2,
            new AddKeyAgreementKeyPayload(new KeyAgreementKeyEntry("enc-2", AgreementKey, "encryption"))), [(K1, null)]);
        yield return new("revokeKey-keyAgreement", new TxBody(ChainId, Subject, 3, new RevokeKeyPayload("enc-1", null, null)), [(K1, null)]);
        yield return new("setRecoveryPolicy", new TxBody(ChainId, Subject, 4, new SetRecoveryPolicyPayload(policy)), [(K1, null)]);
        yield return new("setRecoveryPolicy-immediate", new TxBody(ChainId, Subject, 5, new SetRecoveryPolicyPayload(policy, Immediate: true)), [(K2, null)]);
        yield return new("setAgentPolicy", new TxBody(ChainId, Subject, 6,
            new SetAgentPolicyPayload("devices", [new AgentChange(Agent.PublicKey, AgentRights.Prove | AgentRights.ProveGrant)], 1)), [(K1, null)]);
        yield return new("rotation", new TxBody(ChainId, Subject, 7,
            new RotationPayload(new KeyConfig([K2.PublicKey], 1, [K3.PublicKey.Digest()], 1))), [(K2, null)]);
        yield return new("revokeKey-formerSigningKey", new TxBody(ChainId, Subject, 8, new RevokeKeyPayload(null, K1.PublicKey, 300)), [(K2, null)]);
        yield return new("recoveryStart", new TxBody(ChainId, Subject, 9,
            new RecoveryStartPayload(new KeyConfig([K3.PublicKey], 1, [], 0))), [(T1, Trustee1), (T2, Trustee2)]);
        yield return new("recoveryCancel", new TxBody(ChainId, Subject, 10, new RecoveryCancelPayload()), [(K3, null)]);
        yield return new("recoveryFinalize", new TxBody(ChainId, Subject, 11, new RecoveryFinalizePayload()), [(Agent, null)]);
        yield return new("deactivate", new TxBody(ChainId, Subject, 12, new DeactivatePayload()), [(K3, null)]);
        yield return new("setValidators", new TxBody(ChainId, Governance.Subject, 1,
            new SetValidatorsPayload([new ValidatorEntry(Validator.PublicKey, "validator-0.example:26656", 10)])), [(Validator, null)]);
    }

    /// <summary>Every vector as JSON, in the order the doc lists them.</summary>
    public static IReadOnlyList<JsonObject> All()
    {
        var list = new List<JsonObject>();
        foreach (var v in Transactions())
        {
            var tx = TransactionCodec.Sign(v.Body, v.Signers.Select(s => ((ISigner)s.Key, s.Signer)));
            var o = new JsonObject
            {
                ["name"] = v.Name,
                ["kind"] = "transaction",
                ["input"] = new JsonObject
                {
                    ["chainId"] = v.Body.ChainId,
                    ["subject"] = v.Body.Subject == Governance.Subject ? Hex(v.Body.Subject.ToArray()) : v.Body.Subject.ToString(),
                    ["sequence"] = v.Body.Sequence,
                    ["type"] = v.Body.Payload.Type.ToString(),
                    ["payload"] = PayloadJson(v.Body.Payload),
                    ["signers"] = new JsonArray([.. v.Signers.Select(s => (JsonNode)new JsonObject
                    {
                        ["seed"] = Hex(Seed(SeedOf[s.Key.PublicKey])),
                        ["signer"] = s.Signer?.ToString(),
                    })]),
                },
            };
            if (v.Body.Payload is InceptionPayload inception)
            {
                o["inceptionPayload"] = Hex(Codec.Encode(inception));
                o["identity"] = TransactionCodec.DeriveIdentity(inception).ToString();
            }

            o["body"] = Hex(tx.BodyBytes);
            o["signatures"] = new JsonArray([.. tx.Signatures.Select(s => (JsonNode)new JsonObject
            {
                ["key"] = s.Key.ToHex(),
                ["signature"] = Hex(s.Signature),
                ["signer"] = s.Signer?.ToString(),
            })]);
            o["envelope"] = Hex(tx.Encoded);
            o["txHash"] = tx.Hash.ToHex();
            list.Add(o);
        }

        var statement = new AgentProofStatement(ChainId, Enumerable.Range(0, 16).Select(i => (byte)i).ToArray(), Subject, "devices", "unlock-door");
        list.Add(new JsonObject
        {
            ["name"] = "agentProof",
            ["kind"] = "agentProof",
            ["input"] = new JsonObject
            {
                ["chainId"] = statement.ChainId,
                ["verifierNonce"] = Hex(statement.VerifierNonce),
                ["owner"] = statement.Owner.ToString(),
                ["policyId"] = statement.PolicyId,
                ["action"] = statement.Action,
                ["agentSeed"] = Hex(Seed(6)),
            },
            ["statement"] = Hex(Codec.Encode(statement)),
            ["agentKey"] = Agent.PublicKey.ToHex(),
            ["signature"] = Hex(statement.Sign(Agent)),
        });
        return list;
    }

    private static JsonObject PayloadJson(TxPayload payload) => payload switch
    {
        InceptionPayload p => new JsonObject
        {
            ["keys"] = Keys(p.Keys),
            ["keyAgreementKeys"] = new JsonArray([.. p.KeyAgreementKeys.Select(k => (JsonNode)Agreement(k))]),
            ["recovery"] = p.Recovery is null ? null : Recovery(p.Recovery),
        },
        RotationPayload p => new JsonObject { ["keys"] = Keys(p.Keys), ["recovery"] = p.Recovery is null ? null : Recovery(p.Recovery) },
        AddKeyAgreementKeyPayload p => new JsonObject { ["key"] = Agreement(p.Key) },
        RevokeKeyPayload p => new JsonObject { ["keyId"] = p.KeyId, ["signingKey"] = p.SigningKey?.ToHex(), ["compromisedAtHeight"] = p.CompromisedAtHeight },
        SetRecoveryPolicyPayload p => new JsonObject { ["policy"] = Recovery(p.Policy), ["immediate"] = p.Immediate },
        RecoveryStartPayload p => new JsonObject { ["proposed"] = Keys(p.Proposed) },
        SetAgentPolicyPayload p => new JsonObject
        {
            ["policyId"] = p.PolicyId,
            ["changes"] = new JsonArray([.. p.Changes.Select(c => (JsonNode)new JsonObject { ["agent"] = c.Agent.ToHex(), ["rights"] = (int)c.Rights })]),
            ["adminThreshold"] = p.AdminThreshold,
        },
        SetValidatorsPayload p => new JsonObject
        {
            ["validators"] = new JsonArray([.. p.Validators.Select(v => (JsonNode)new JsonObject { ["nodeKey"] = v.NodeKey.ToHex(), ["address"] = v.Address, ["power"] = v.Power })]),
        },
        RecoveryCancelPayload or RecoveryFinalizePayload or DeactivatePayload => [],
        _ => throw new ArgumentException($"no vector layout for {payload.Type}"),
    };

    private static JsonObject Keys(KeyConfig k) => new()
    {
        ["signingKeys"] = new JsonArray([.. k.SigningKeys.Select(x => (JsonNode)x.ToHex())]),
        ["threshold"] = k.Threshold,
        ["nextKeyDigests"] = new JsonArray([.. k.NextKeyDigests.Select(x => (JsonNode)x.ToHex())]),
        ["nextThreshold"] = k.NextThreshold,
    };

    private static JsonObject Agreement(KeyAgreementKeyEntry k) => new() { ["id"] = k.Id, ["key"] = k.Key.ToHex(), ["purpose"] = k.Purpose };

    private static JsonObject Recovery(RecoveryPolicy r) => new()
    {
        ["trustees"] = new JsonArray([.. r.Trustees.Select(t => (JsonNode)t.ToString())]),
        ["threshold"] = r.Threshold,
        ["delaySeconds"] = r.DelaySeconds,
    };

    private static string Hex(byte[] b) => Convert.ToHexStringLower(b);
}
