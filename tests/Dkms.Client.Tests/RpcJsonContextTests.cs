using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Dkms.Rpc;

namespace Dkms.Client.Tests;

/// <summary>
/// The RPC's JSON comes from generated code (<see cref="RpcJsonContext"/>), and the wire did not change with it: every
/// contract record is in the context, and representative answers and parameters serialize to exactly the bytes of the
/// reflection-based serializer with the RPC's settings (what the node and the client used before), and read back the same.
/// </summary>
public sealed class RpcJsonContextTests
{
    /// <summary>The RPC's settings as they were before the generated context: reflection resolves every type.</summary>
    private static readonly JsonSerializerOptions Reflection = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.Strict,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    [Fact]
    public void Every_contract_record_is_in_the_generated_context_and_resolved_from_it_first()
    {
        var records = typeof(RpcMethods).Assembly.GetExportedTypes()
            .Where(t => t.Namespace == "Dkms.Rpc" && t.IsClass && !t.IsAbstract && t.GetMethod("<Clone>$") is not null)
            .ToArray();
        Assert.True(records.Length >= 30, $"found only {records.Length} contract records");
        foreach (var t in records)
        {
            Assert.True(RpcJsonContext.Default.GetTypeInfo(t) is not null, $"{t.Name} has no generated serialization code");
        }

        Assert.Same(RpcJsonContext.Default, RpcJson.Options.TypeInfoResolverChain[0]);
    }

    public static TheoryData<string, object> Answers() => new()
    {
        { "submit", new SubmitResult("ab", TxStatuses.Rejected, null, null, "SignatureInvalid", "bad \"sig\" <&>") },
        { "submit batch", new[] { new SubmitResult("ab", TxStatuses.Pending), new SubmitResult("cd", TxStatuses.Committed, ulong.MaxValue, 3) } },
        { "status", new TxStatusResult("ab", TxStatuses.Unknown) },
        { "resolve", new ResolveResult("did:dkms:x", 9, Identity(), Proof()) },
        { "resolve absent", new ResolveResult("did:dkms:x", 9, null, Proof() with { Value = null }) },
        { "events", new[] { new EventView(1, 2, 0, "Create", "aa", "bb", 1_700_000_000_000, "AQID") } },
        { "check key", new CheckKeyResult("did:dkms:x", "aa", 4, "Valid") },
        { "policy", new PolicyResult("did:dkms:x", "p-é", 5, new PolicyView(2, [new AgentView("aa", "Sign, Encrypt")], 4), null) },
        { "authorization", new CheckAuthorizationResult(true, "Sign", "ok", 5) },
        { "block", new BlockResult(3, "h", 1, "p", "t", "s", "v", -1, ["a", "b"], "AA==", "AQ==") },
        { "node status", new NodeStatusResult("chain", "nk", true, 10, 0, "r", "b", 5, ["1.2.3.4:5"], 7, 1L << 40, "1.0") },
        { "validators", new ValidatorsResult(1, [new ValidatorView("k", "h:1", 10)], 2) },
        { "validator history", new ValidatorHistoryResult(8, [new ValidatorChangeView(1, 5, [new ValidatorView("k", "h:1", 1)], Proof())], true) },
        { "params", new SubmitBatchParams(["AQ==", "Ag=="], SubmitModes.Commit, 1500) },
        { "resolve params", new ResolveParams("did:dkms:x", null, true) },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public void The_generated_code_writes_the_bytes_reflection_wrote(string what, object answer)
    {
        var before = JsonSerializer.SerializeToUtf8Bytes(answer, answer.GetType(), Reflection);
        var after = JsonSerializer.SerializeToUtf8Bytes(answer, answer.GetType(), RpcJson.Options);
        Assert.True(before.AsSpan().SequenceEqual(after), $"{what}: {System.Text.Encoding.UTF8.GetString(before)} became {System.Text.Encoding.UTF8.GetString(after)}");

        var back = JsonSerializer.Deserialize(after, answer.GetType(), RpcJson.Options);
        Assert.Equal(before, JsonSerializer.SerializeToUtf8Bytes(back, answer.GetType(), Reflection));
    }

    [Fact]
    public void A_misspelt_member_is_still_an_error()
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<HashParams>("""{"hash":"ab","hsah":"cd"}""", RpcJson.Options));
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<BlockParams>("""{"height":"1"}""", RpcJson.Options));
    }

    private static IdentityView Identity() => new(
        "did:dkms:x", "Active", 3, ["aa", "bb"], 2, ["cc"], 1,
        [new KeyAgreementKeyView("k1", "dd", "encrypt", 1, null, 7)],
        new RecoveryPolicyView(["did:dkms:t"], 1, 86_400),
        new PendingRecoveryView(["ee"], 1, 10, 20, ["did:dkms:t"]),
        "ff", 1, 3,
        new PendingPolicyChangeView(new RecoveryPolicyView([], 0, 0), 5, 6));

    private static StateProofView Proof() => new(9, "root", "a2V5", "dmFsdWU=", "cHJvb2Y=", "aGVhZGVy", "Y2VydA==");
}
