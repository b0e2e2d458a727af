using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dkms.Core.Crypto;
using Dkms.Core.Primitives;
using Dkms.Node.Testing;

namespace Dkms.Node.Tests.Rpc;

/// <summary>A fact that needs Node.js on PATH; skipped, saying so, when it is absent.</summary>
public sealed class NodeJsFactAttribute : FactAttribute
{
    public NodeJsFactAttribute()
    {
        if (JavaScriptClientCommitTests.NodeJs() is null) Skip = "node (Node.js) is not on PATH: the JavaScript client was not run";
    }
}

/// <summary>
/// Transactions built by the JavaScript client of docs/wire-format.md (tests/interop/wire-format.mjs: Node.js
/// built-ins, no C#) are submitted over plain JSON-RPC and commit: an inception under the identifier the client
/// derived, a key-agreement key, a rotation to the pre-committed key.
/// </summary>
[Trait("Category", "Interop")]
public sealed class JavaScriptClientCommitTests(RpcTestnetFixture fixture) : IClassFixture<RpcTestnetFixture>
{
    internal static string? NodeJs() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, OperatingSystem.IsWindows() ? "node.exe" : "node")).FirstOrDefault(File.Exists);

    private static string RepoFile(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Dkms.Node.sln"))) return Path.Combine([dir.FullName, .. parts]);
        }

        throw new InvalidOperationException("no Dkms.Node.sln above the test binaries");
    }

    private static string Hex(ReadOnlySpan<byte> b) => Convert.ToHexStringLower(b);

    private static JsonArray Build(JsonArray inputs)
    {
        var dir = Directory.CreateTempSubdirectory("dkms-js-");
        try
        {
            var file = Path.Combine(dir.FullName, "inputs.json");
            File.WriteAllText(file, inputs.ToJsonString());
            var psi = new ProcessStartInfo(NodeJs()!, [RepoFile("tests", "interop", "wire-format.mjs"), "--build", file])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var p = System.Diagnostics.Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
            {
                p.Kill(entireProcessTree: true);
                Assert.Fail("node did not finish building within 2 minutes");
            }

            Assert.True(p.ExitCode == 0, stdout.Result + stderr.Result);
            return JsonNode.Parse(stdout.Result)!.AsArray();
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [NodeJsFact]
    public async Task Transactions_built_in_javascript_from_the_doc_commit()
    {
        byte[] seed0 = [.. Enumerable.Repeat((byte)0x21, 32)], seed1 = [.. Enumerable.Repeat((byte)0x22, 32)], seed2 = [.. Enumerable.Repeat((byte)0x23, 32)];
        using var k0 = Ed25519Signer.FromSeed(seed0);
        using var k1 = Ed25519Signer.FromSeed(seed1);
        using var k2 = Ed25519Signer.FromSeed(seed2);
        JsonObject Keys(PublicKey current, PublicKey next) => new()
        {
            ["signingKeys"] = new JsonArray(current.ToHex()),
            ["threshold"] = 1,
            ["nextKeyDigests"] = new JsonArray(next.Digest().ToHex()),
            ["nextThreshold"] = 1,
        };
        JsonArray Signer(byte[] seed) => [new JsonObject { ["seed"] = Hex(seed), ["signer"] = null }];

        var inception = Build([new JsonObject
        {
            ["chainId"] = InProcessTestnet.ChainId, ["subject"] = "derive", ["sequence"] = 1, ["type"] = "Inception",
            ["payload"] = new JsonObject { ["keys"] = Keys(k0.PublicKey, k1.PublicKey), ["keyAgreementKeys"] = new JsonArray(), ["recovery"] = null },
            ["signers"] = Signer(seed0),
        }])[0]!;
        var did = inception["identity"]!.GetValue<string>();
        var later = Build(
        [
            new JsonObject
            {
                ["chainId"] = InProcessTestnet.ChainId, ["subject"] = did, ["sequence"] = 2, ["type"] = "AddKeyAgreementKey",
                ["payload"] = new JsonObject { ["key"] = new JsonObject { ["id"] = "enc-1", ["key"] = Hex(Hash32.Sha256("x25519"u8).ToArray()), ["purpose"] = "encryption" } },
                ["signers"] = Signer(seed0),
            },
            new JsonObject
            {
                ["chainId"] = InProcessTestnet.ChainId, ["subject"] = did, ["sequence"] = 3, ["type"] = "Rotation",
                ["payload"] = new JsonObject { ["keys"] = Keys(k1.PublicKey, k2.PublicKey), ["recovery"] = null },
                ["signers"] = Signer(seed1),
            },
        ]);

        foreach (var tx in new[] { inception, later[0]!, later[1]! })
        {
            var request = new JsonObject
            {
                ["jsonrpc"] = "2.0",
                ["id"] = 1,
                ["method"] = "tx.submit",
                ["params"] = new JsonObject { ["tx"] = tx["envelope"]!.GetValue<string>(), ["mode"] = "commit", ["timeoutMs"] = 30_000 },
            };
            using var content = new StringContent(request.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
            using var response = await fixture.Http.PostAsync("", content);
            using var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            Assert.True(answer.RootElement.TryGetProperty("result", out var result), answer.RootElement.ToString());
            Assert.Equal("committed", result.GetProperty("status").GetString());
            Assert.Equal(tx["txHash"]!.GetValue<string>(), result.GetProperty("hash").GetString());
        }

        var resolved = (await fixture.Client.ResolveAsync(IdentityId.Parse(did))).Identity!;
        Assert.Equal(3UL, resolved.Sequence);
        Assert.Equal([k1.PublicKey.ToHex()], resolved.SigningKeys);
    }
}
