using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Dkms.Core.Encoding;
using Dkms.Core.Primitives;
using Dkms.Ledger.State;
using Dkms.Rpc;
using Microsoft.AspNetCore.Http;

namespace Dkms.Node.Rpc;

/// <summary>
/// <c>GET /1.0/identifiers/{did}</c> by the W3C DID Resolution and DIF Universal Resolver conventions: the
/// <c>versionId</c> (an identity's sequence) and <c>versionTime</c> options served from the ledger's history, with
/// a state proof on request (<c>proof=true</c>, while the height's tree is kept); <c>methodNotSupported</c> (501)
/// for other DID methods; 410 for a deactivated DID; the bare document for <c>Accept: application/did+ld+json</c>
/// (or <c>application/did+json</c>); an ETag built from the heights the answer depends on, so resolvers can cache
/// and revalidate (docs/rpc.md "DID documents").
/// </summary>
public static class DidResolution
{
    /// <summary>The resolution-result media type of the DID Resolution spec.</summary>
    public const string ResultMediaType = "application/ld+json;profile=\"https://w3id.org/did-resolution\"";

    private const string DidLdJson = "application/did+ld+json";
    private const string DidJson = "application/did+json";

    /// <summary>A superseded version never changes again: caches may keep it (a year, the longest HTTP caches honour).</summary>
    private const string Immutable = "public, max-age=31536000, immutable";

    /// <summary>
    /// The current version may change with the next block (a revocation, a rotation): caches may store it but must
    /// revalidate every time — cheap with the ETag — so no resolver keeps serving a revoked key.
    /// </summary>
    private const string Revalidate = "no-cache";

    private enum Representation
    {
        Result,
        DocumentLd,
        DocumentJson,
    }

    public static async Task HandleAsync(HttpContext ctx, ILedgerReads ledger, string did)
    {
        var (status, body, representation, etag, cacheControl) = Resolve(ctx.Request, ledger, did);
        var response = ctx.Response;
        response.Headers.Vary = "Accept";
        response.Headers.CacheControl = cacheControl;
        if (etag is not null)
        {
            response.Headers.ETag = etag;
            if (Matches(ctx.Request.Headers.IfNoneMatch, etag))
            {
                response.StatusCode = StatusCodes.Status304NotModified;
                return;
            }
        }

        response.StatusCode = status;
        response.ContentType = representation switch
        {
            Representation.DocumentLd => DidLdJson,
            Representation.DocumentJson => DidJson,
            _ => ResultMediaType,
        };
        await response.WriteAsync(body.ToJsonString(), ctx.RequestAborted).ConfigureAwait(false);
    }

    private static (int Status, JsonNode Body, Representation Representation, string? ETag, string CacheControl) Resolve(HttpRequest request, ILedgerReads ledger, string did)
    {
        if (!TryChooseRepresentation(request, out var representation))
        {
            return Error(406, "representationNotSupported", $"this resolver answers {ResultMediaType}, {DidLdJson} or {DidJson}");
        }

        // A DID URL's own query (did:dkms:…?versionId=2, percent-encoded into the path) counts like the HTTP query.
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in request.Query) options[key] = value.ToString();
        var question = did.IndexOf('?', StringComparison.Ordinal);
        if (question >= 0)
        {
            foreach (var (key, value) in Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(did[question..])) options.TryAdd(key, value.ToString());
            did = did[..question];
        }

        var parts = did.Split(':');
        if (parts.Length < 3 || parts[0] != "did" || parts[1].Length == 0 || !parts[1].All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c)))
        {
            return Error(400, "invalidDid", $"'{did}' is not a DID");
        }

        if (parts[1] != "dkms") return Error(501, "methodNotSupported", $"this resolver serves did:dkms only, not did:{parts[1]}");
        if (!IdentityId.TryParse(did, out var id)) return Error(400, "invalidDid", $"'{did}' is not a did:dkms identifier");

        if (!TryReadOptions(options, out var versionId, out var versionTime, out var wantProof, out var optionError))
        {
            return Error(400, "invalidOptions", optionError);
        }

        var latest = ledger.Height;
        var current = ledger.GetIdentityAt(id, latest);
        if (current is null) return Error(404, "notFound", $"{did} does not exist on this ledger (height {latest})");

        IdentityState state;
        ulong height;
        byte[]? versionBytes = null;
        if (versionId is { } sequence)
        {
            if (sequence == 0 || sequence > current.Sequence) return Error(404, "notFound", $"{did} has versions 1..{current.Sequence}, not {sequence}");
            var e = ledger.GetEvents(id, sequence, 1)[0];
            state = Codec.Decode<IdentityState>(e.StateAfter);
            height = e.Height;
            versionBytes = e.StateAfter;
        }
        else if (versionTime is { } time)
        {
            var at = HeightAtTime(ledger, latest, (ulong)time.ToUnixTimeMilliseconds());
            var then = at is { } h ? ledger.GetIdentityAt(id, h) : null;
            if (then is null) return Error(404, "notFound", $"{did} did not exist at {Xml(time)}");
            state = then;
            height = at!.Value;
        }
        else
        {
            state = current;
            height = latest;
        }

        var next = state.Sequence < current.Sequence ? ledger.GetEvents(id, state.Sequence + 1, 1)[0] : null;
        var resolution = DidDocuments.Resolution(state);
        var documentMetadata = resolution["didDocumentMetadata"]!.AsObject();
        if (BlockTime(ledger, state.CreatedAtHeight) is { } created) documentMetadata["created"] = Xml(created);
        if (BlockTime(ledger, state.UpdatedAtHeight) is { } updated) documentMetadata["updated"] = Xml(updated);
        if (next is not null)
        {
            documentMetadata["nextVersionId"] = next.Sequence.ToString(CultureInfo.InvariantCulture);
            documentMetadata["nextUpdate"] = Xml(DateTimeOffset.FromUnixTimeMilliseconds((long)next.BlockTimeMs));
        }

        // The answer is a function of the version, the next version (if any), the representation and, with a proof,
        // the height proven: exactly what the ETag names.
        var etag = $"\"{state.UpdatedAtHeight}.{next?.Height ?? 0}.{(int)representation}";
        if (wantProof)
        {
            var resolutionMetadata = resolution["didResolutionMetadata"]!.AsObject();
            if (Proof(ledger, id, height, versionBytes, out var proofError) is { } proof)
            {
                resolutionMetadata["proof"] = proof;
                etag += $".p{height}";
            }
            else
            {
                resolutionMetadata["proofUnavailable"] = proofError;
                etag += ".p";
            }
        }

        etag += "\"";
        var status = state.Status == IdentityStatus.Deactivated ? StatusCodes.Status410Gone : StatusCodes.Status200OK;
        var cache = next is not null ? Immutable : Revalidate;
        JsonNode body = representation == Representation.Result ? resolution : resolution["didDocument"]!.DeepClone();
        return (status, body, representation, etag, cache);

        (int, JsonNode, Representation, string?, string) Error(int code, string error, string message) =>
            (code, DidDocuments.Error(error, message), Representation.Result, null, "no-store");
    }

    /// <summary>The state proof of the identity at <paramref name="height"/>, in the shape of <c>identity.resolve</c>'s proof.</summary>
    private static JsonNode? Proof(ILedgerReads ledger, IdentityId id, ulong height, byte[]? versionBytes, out string error)
    {
        var proven = ledger.ProveIdentity(id, height);
        if (proven is null)
        {
            error = $"proofs are kept for the last {ledger.ProofHistoryHeights} heights; this version's height {height} is not among them";
            return null;
        }

        // Two events of one identity in one block: the height proves the later one, not the version asked for.
        if (versionBytes is not null && (proven.Value is null || !proven.Value.AsSpan().SequenceEqual(versionBytes)))
        {
            error = $"this version was superseded within its block (height {height}); only the block's final state is provable";
            return null;
        }

        if (ledger.Anchor(proven.Height) is not { } anchor)
        {
            error = $"height {proven.Height} has no certified block to anchor a proof";
            return null;
        }

        error = "";
        var view = new StateProofView(proven.Height, proven.StateRoot.ToHex(), Convert.ToHexStringLower(proven.Key),
            proven.Value is null ? null : Convert.ToBase64String(proven.Value), Convert.ToBase64String(Codec.Encode(proven.Proof)),
            anchor.Header, anchor.Certificate);
        return JsonSerializer.SerializeToNode(view, RpcJson.Options);
    }

    /// <summary>
    /// The newest height whose block time is at or before <paramref name="timeMs"/>, or null when even height 1 is later.
    /// Block times never decrease along the chain, so a binary search reads about log₂(height) height records.
    /// </summary>
    private static ulong? HeightAtTime(ILedgerReads ledger, ulong latest, ulong timeMs)
    {
        ulong low = 1, high = latest;
        ulong? found = null;
        while (low <= high && high >= 1)
        {
            var middle = low + (high - low) / 2;
            var record = ledger.GetHeight(middle);
            if (record is null) break;
            if (record.BlockTimeMs <= timeMs)
            {
                found = middle;
                low = middle + 1;
            }
            else
            {
                if (middle == 1) break;
                high = middle - 1;
            }
        }

        return found;
    }

    private static DateTimeOffset? BlockTime(ILedgerReads ledger, ulong height) =>
        ledger.GetHeight(height) is { } record ? DateTimeOffset.FromUnixTimeMilliseconds((long)record.BlockTimeMs) : null;

    /// <summary>XML Schema dateTime in UTC, whole seconds — the form DID Core gives for <c>created</c> and <c>updated</c>.</summary>
    private static string Xml(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static bool TryReadOptions(Dictionary<string, string> options, out ulong? versionId, out DateTimeOffset? versionTime, out bool proof, out string error)
    {
        versionId = null;
        versionTime = null;
        proof = false;
        error = "";
        if (options.TryGetValue("versionId", out var v))
        {
            if (!ulong.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                error = $"versionId '{v}' is not a version number (the identity's sequence: 1, 2, …)";
                return false;
            }

            versionId = n;
        }

        if (options.TryGetValue("versionTime", out var t))
        {
            if (!DateTimeOffset.TryParseExact(t, ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK"], CultureInfo.InvariantCulture,
                    DateTimeStyles.AdjustToUniversal, out var time) || !HasTimeZone(t))
            {
                error = $"versionTime '{t}' is not an XML Schema dateTime with a time zone (e.g. 2026-01-31T12:00:00Z)";
                return false;
            }

            versionTime = time;
        }

        if (versionId is not null && versionTime is not null)
        {
            error = "give versionId or versionTime, not both";
            return false;
        }

        if (options.TryGetValue("proof", out var p))
        {
            if (p is not ("true" or "false"))
            {
                error = $"proof must be true or false, not '{p}'";
                return false;
            }

            proof = p == "true";
        }

        return true;
    }

    /// <summary>A dateTime without a zone would be read in the node's zone: the answer would depend on where the node runs.</summary>
    private static bool HasTimeZone(string t) => t.Length > 19 && (t.EndsWith('Z') || t[19..].Contains('+', StringComparison.Ordinal) || t[19..].Contains('-', StringComparison.Ordinal));

    /// <summary>The first representation the client accepts, by quality; none asked for is the resolution result.</summary>
    private static bool TryChooseRepresentation(HttpRequest request, out Representation representation)
    {
        representation = Representation.Result;
        var accept = request.GetTypedHeaders().Accept;
        if (accept is null || accept.Count == 0) return true;
        foreach (var media in accept.OrderByDescending(m => m.Quality ?? 1.0))
        {
            if (media.Quality == 0) continue;
            var type = media.MediaType.Value ?? "";
            if (type.Equals(DidLdJson, StringComparison.OrdinalIgnoreCase))
            {
                representation = Representation.DocumentLd;
                return true;
            }

            if (type.Equals(DidJson, StringComparison.OrdinalIgnoreCase))
            {
                representation = Representation.DocumentJson;
                return true;
            }

            if (type is "application/ld+json" or "application/json" or "*/*" or "application/*")
            {
                representation = Representation.Result;
                return true;
            }
        }

        return false;
    }

    private static bool Matches(Microsoft.Extensions.Primitives.StringValues ifNoneMatch, string etag)
    {
        foreach (var value in ifNoneMatch)
        {
            if (value is null) continue;
            foreach (var tag in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                // Weak comparison, as If-None-Match uses (RFC 9110 §13.1.2).
                if (tag == "*" || tag == etag || tag == "W/" + etag) return true;
            }
        }

        return false;
    }
}
