using System.Net;
using System.Reflection;
using System.Text.Json;
using Dkms.Node.Rpc;
using Dkms.Rpc;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dkms.Node.Tests.Rpc;

/// <summary>
/// Every RPC method called with its params omitted, <c>null</c> and <c>{}</c>: a proper answer when nothing is
/// required, else invalid params (-32602) naming the missing member — never an internal error.
/// </summary>
public sealed class RpcOmittedParamsTests(RpcErrorTestnetFixture fixture) : IClassFixture<RpcErrorTestnetFixture>
{
    /// <summary>Each method with the member its params cannot do without (null: none).</summary>
    public static readonly TheoryData<string, string?> Methods = new()
    {
        { RpcMethods.Submit, "tx" },
        { RpcMethods.SubmitBatch, "txs" },
        { RpcMethods.Status, "hash" },
        { RpcMethods.Resolve, "id" },
        { RpcMethods.Events, "id" },
        { RpcMethods.CheckKey, "id" },
        { RpcMethods.Policy, "owner" },
        { RpcMethods.CheckAuthorization, "owner" },
        { RpcMethods.Block, "height" },
        { RpcMethods.NodeStatus, null },
        { RpcMethods.Validators, null },
        { RpcMethods.ValidatorHistory, null },
    };

    private static readonly string[] Forms = ["omitted", "null", "{}"];

    [Fact]
    public void The_list_covers_every_method_the_client_knows_and_the_node_serves()
    {
        var known = typeof(RpcMethods).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).Order().ToList();
        var dispatcher = new JsonRpcDispatcher(NullLogger<JsonRpcDispatcher>.Instance);
        RpcWiring.For(fixture.Net.Node(0)).Register(dispatcher);

        Assert.Equal(known, Methods.Select(row => (string)row[0]).Order());
        Assert.Equal(known, dispatcher.Methods.Order());
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public async Task A_method_called_without_params_answers_or_names_the_missing_member(string method, string? required)
    {
        foreach (var form in Forms)
        {
            var body = form == "omitted"
                ? $$"""{"jsonrpc":"2.0","id":1,"method":"{{method}}"}"""
                : $$"""{"jsonrpc":"2.0","id":1,"method":"{{method}}","params":{{form}}}""";

            var (status, answer) = await RpcErrorTests.PostAsync(fixture.Http, body);

            Assert.Equal(HttpStatusCode.OK, status);
            if (required is null)
            {
                Assert.True(answer.TryGetProperty("result", out var result), $"{method} with params {form}: {answer}");
                Assert.Equal(JsonValueKind.Object, result.ValueKind);
                continue;
            }

            var error = RpcErrorTests.ErrorOf(answer, RpcErrorCodes.InvalidParams);
            var message = error.GetProperty("message").GetString()!;
            Assert.True(message.Contains($"'{required}'", StringComparison.Ordinal), $"{method} with params {form}: '{message}' does not name '{required}'");
        }
    }
}
