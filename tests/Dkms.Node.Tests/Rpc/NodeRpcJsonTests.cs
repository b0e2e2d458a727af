using System.Text.Json;
using Dkms.Node.Rpc;
using Dkms.Rpc;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dkms.Node.Tests.Rpc;

/// <summary>
/// Issue 18 §8: the node answers through generated serialization code only (<see cref="NodeRpcJson.Options"/> has no
/// reflection fallback): every registered method's params and result type, the node's own admin types and the data of
/// an error resolve there, and the error data is written as it was before (the same members as the anonymous objects
/// the node used).
/// </summary>
public sealed class NodeRpcJsonTests(RpcErrorTestnetFixture fixture) : IClassFixture<RpcErrorTestnetFixture>
{
    [Fact]
    public void Every_registered_methods_params_and_result_resolve_through_generated_code()
    {
        var dispatcher = new JsonRpcDispatcher(NullLogger<JsonRpcDispatcher>.Instance);
        var node = fixture.Net.Node(0);
        RpcWiring.For(node).Register(dispatcher);
        new AdminRpc(node.Backups).Register(dispatcher);
        Assert.Contains(AdminRpc.Backup, dispatcher.Methods);

        foreach (var (method, (parameters, result)) in dispatcher.Types)
        {
            foreach (var t in new[] { parameters, result })
            {
                var info = NodeRpcJson.Options.TypeInfoResolver!.GetTypeInfo(t, NodeRpcJson.Options);
                Assert.True(info is not null, $"{method}: {t.Name} has no generated serialization code");
            }
        }
    }

    [Fact]
    public void Error_data_is_written_with_the_members_it_always_had()
    {
        var rejected = JsonSerializer.Serialize(new TxErrorData("ab", "SignatureInvalid", "bad", 7, 2), NodeRpcJson.Options);
        Assert.Equal("""{"hash":"ab","code":"SignatureInvalid","message":"bad","height":7,"index":2}""", rejected);
        Assert.Equal("""{"hash":"ab"}""", JsonSerializer.Serialize(new TxErrorData("ab"), NodeRpcJson.Options));
    }
}
