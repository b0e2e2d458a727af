using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Dkms.Client;
using Dkms.Node.Rpc;
using Dkms.Node.Testing;
using Dkms.Node.Tests.Support;
using Dkms.Rpc;

namespace Dkms.Node.Tests.Rpc;

/// <summary>One validator whose RPC has a bearer token (<c>Rpc:TokenFile</c>).</summary>
public sealed class TokenNodeFixture : IAsyncLifetime
{
    public const string Token = "s3cret-token-for-the-rpc-0123456789";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "dkms-token-" + Guid.NewGuid().ToString("N")[..12]);

    public InProcessTestnet Net { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public string TokenFile => Path.Combine(_dir, "rpc.token");

    public TransactionBuilder Builder { get; } = new(InProcessTestnet.ChainId);

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        await File.WriteAllTextAsync(TokenFile, Token + "\n");
        Net = await InProcessTestnet.StartAsync(1, settings: (_, s) => s with { Rpc = s.Rpc with { TokenFile = TokenFile } });
        Http = new HttpClient { BaseAddress = Net.RpcEndpoints[0], Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Net.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}

/// <summary>
/// Methods that change state need the node's token; reading stays open; a web page cannot post to the node
/// (Content-Type) nor read its answers (no CORS).
/// </summary>
public sealed class RpcTokenTests(TokenNodeFixture fixture) : IClassFixture<TokenNodeFixture>
{
    private static string Call(string method, string paramsJson, int id = 1) =>
        $$"""{"jsonrpc":"2.0","id":{{id}},"method":"{{method}}","params":{{paramsJson}}}""";

    private async Task<(HttpResponseMessage Response, JsonElement Body)> PostAsync(string body, string contentType = "application/json", string? token = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        if (contentType.Length > 0) request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await fixture.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        RpcErrorTests.AssertNoStackTrace(text);
        return (response, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    private string SubmitCall(string label, int id = 1)
    {
        var tx = new TestIdentity($"{nameof(RpcTokenTests)}/{label}", fixture.Builder).Incept();
        return Call(RpcMethods.Submit, $$"""{"tx":"{{Convert.ToBase64String(tx.Encoded)}}","mode":"sync"}""", id);
    }

    private async Task<string> StatusOfAsync(string submitCall)
    {
        var tx = JsonDocument.Parse(submitCall).RootElement.GetProperty("params").GetProperty("tx").GetString()!;
        Assert.True(Dkms.Core.Transactions.TransactionCodec.TryIdentify(Convert.FromBase64String(tx), out var hash));
        var (_, body) = await PostAsync(Call(RpcMethods.Status, $$"""{"hash":"{{hash.ToHex()}}"}"""));
        return body.GetProperty("result").GetProperty("status").GetString()!;
    }

    [Fact]
    public async Task A_submission_without_the_token_is_refused_with_401_and_not_admitted()
    {
        var call = SubmitCall("no-token");
        var (response, body) = await PostAsync(call);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal(RpcErrorCodes.Unauthorized, body.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Contains("token", body.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(TxStatuses.Unknown, await StatusOfAsync(call));
    }

    [Fact]
    public async Task A_batch_submission_without_the_token_is_refused_and_its_reads_answered()
    {
        var tx = new TestIdentity($"{nameof(RpcTokenTests)}/batch", fixture.Builder).Incept();
        var batch = $$"""[{{Call(RpcMethods.NodeStatus, "{}", 1)}},{{Call(RpcMethods.SubmitBatch, $$"""{"txs":["{{Convert.ToBase64String(tx.Encoded)}}"]}""", 2)}}]""";
        var (response, body) = await PostAsync(batch);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.True(body[0].TryGetProperty("result", out _));
        Assert.Equal(RpcErrorCodes.Unauthorized, body[1].GetProperty("error").GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task A_notification_submission_without_the_token_is_not_run()
    {
        var call = SubmitCall("notification");
        var notification = call.Replace("\"id\":1,", "", StringComparison.Ordinal);
        var (response, _) = await PostAsync(notification);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(TxStatuses.Unknown, await StatusOfAsync(call));
    }

    [Fact]
    public async Task A_wrong_token_is_refused_even_for_reading()
    {
        var (response, body) = await PostAsync(Call(RpcMethods.NodeStatus, "{}"), token: TokenFixtureWrong);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(RpcErrorCodes.Unauthorized, body.GetProperty("error").GetProperty("code").GetInt32());
        var call = SubmitCall("wrong-token");
        (response, _) = await PostAsync(call, token: TokenFixtureWrong);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(TxStatuses.Unknown, await StatusOfAsync(call));
    }

    private const string TokenFixtureWrong = TokenNodeFixture.Token + "x";

    [Fact]
    public async Task Reading_methods_stay_open_without_a_token()
    {
        var (response, body) = await PostAsync(Call(RpcMethods.NodeStatus, "{}"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(InProcessTestnet.ChainId, body.GetProperty("result").GetProperty("chainId").GetString());
    }

    [Fact]
    public async Task The_client_with_the_token_file_submits_and_commits()
    {
        using var client = new DkmsRpcClient(fixture.Net.RpcEndpoints[0], new RpcConnection { TokenFile = fixture.TokenFile });
        var tx = new TestIdentity($"{nameof(RpcTokenTests)}/with-token", fixture.Builder).Incept();
        var result = await client.SubmitAsync(tx, SubmitModes.Commit, 30_000);
        Assert.Equal(TxStatuses.Committed, result.Status);

        using var without = new DkmsRpcClient(fixture.Net.RpcEndpoints[0]);
        var refused = await Assert.ThrowsAsync<RpcException>(() => without.SubmitAsync(new TestIdentity($"{nameof(RpcTokenTests)}/without", fixture.Builder).Incept()));
        Assert.Equal(RpcErrorCodes.Unauthorized, refused.Code);
    }

    [Fact]
    public void Only_submissions_and_admin_methods_change_state()
    {
        var names = typeof(RpcMethods).GetFields().Select(f => (string)f.GetValue(null)!).ToArray();
        Assert.Equal([RpcMethods.Submit, RpcMethods.SubmitBatch], names.Where(RpcCaller.ChangesState).ToArray());
        Assert.True(RpcCaller.ChangesState("admin.backup"));
        Assert.True(RpcCaller.ChangesState("admin.anything"));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("text/plain; charset=utf-8")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData("")]
    [InlineData("application/json; charset=iso-8859-1")]
    public async Task A_body_that_is_not_declared_json_is_refused_with_415_and_not_run(string contentType)
    {
        // What a web page may send to a node on its visitor's machine without a CORS preflight.
        var call = SubmitCall("content-type-" + contentType.GetHashCode(StringComparison.Ordinal));
        var (response, body) = await PostAsync(call, contentType, TokenNodeFixture.Token);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal(RpcErrorCodes.UnsupportedMediaType, body.GetProperty("error").GetProperty("code").GetInt32());
        Assert.Equal(TxStatuses.Unknown, await StatusOfAsync(call));
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON; charset=UTF-8")]
    public async Task Json_content_types_are_accepted(string contentType)
    {
        var (response, body) = await PostAsync(Call(RpcMethods.NodeStatus, "{}"), contentType);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(body.TryGetProperty("result", out _));
    }

    [Fact]
    public async Task No_answer_carries_a_CORS_header_so_no_page_can_read_it()
    {
        using var preflight = new HttpRequestMessage(HttpMethod.Options, "");
        preflight.Headers.Add("Origin", "https://evil.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type, authorization");
        using var answer = await fixture.Http.SendAsync(preflight);
        Assert.DoesNotContain(answer.Headers, h => h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase));

        using var post = new HttpRequestMessage(HttpMethod.Post, "") { Content = new StringContent(Call(RpcMethods.NodeStatus, "{}"), Encoding.UTF8, "application/json") };
        post.Headers.Add("Origin", "https://evil.example");
        using var response = await fixture.Http.SendAsync(post);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(response.Headers, h => h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task Refusals_are_counted_in_the_metrics()
    {
        await PostAsync(Call(RpcMethods.NodeStatus, "{}"), "text/plain");
        await PostAsync(SubmitCall("counted"));
        var metrics = await fixture.Http.GetStringAsync("metrics");
        Assert.Matches("dkms_rpc_client_errors_total\\{kind=\"content_type\"\\} [1-9]", metrics);
        Assert.Matches("dkms_rpc_client_errors_total\\{kind=\"unauthorized\"\\} [1-9]", metrics);
    }

    [Fact]
    public void A_token_file_without_a_long_enough_token_stops_the_node_from_starting()
    {
        var file = Path.Combine(Path.GetTempPath(), "dkms-short-token-" + Guid.NewGuid().ToString("N")[..8]);
        File.WriteAllText(file, "short\n");
        try
        {
            var e = Assert.Throws<NodeConfigurationException>(() => RpcToken.FromFile(file));
            Assert.DoesNotContain("short", e.Message.Replace(file, "", StringComparison.Ordinal), StringComparison.Ordinal);
            Assert.Throws<NodeConfigurationException>(() => RpcToken.FromFile(file + ".absent"));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
