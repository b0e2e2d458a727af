using System.Text.Json.Nodes;
using Dkms.Core.Primitives;
using Dkms.Ledger.State;

namespace Dkms.Node.Rpc;

/// <summary>
/// W3C DID documents for <c>GET /1.0/identifiers/{did}</c> in the Universal Resolver driver shape: the
/// document, resolution metadata and document metadata (with <c>deactivated</c>). Signing keys become
/// Ed25519VerificationKey2020 methods used for authentication and assertion; active key-agreement keys
/// become X25519KeyAgreementKey2020 methods under <c>keyAgreement</c>. Keys are multibase base58btc of
/// the multicodec-prefixed public key.
/// </summary>
public static class DidDocuments
{
    private static readonly byte[] Ed25519Multicodec = [0xed, 0x01];
    private static readonly byte[] X25519Multicodec = [0xec, 0x01];

    public static JsonObject Resolution(IdentityState s)
    {
        var did = s.Id.ToString();
        var methods = new JsonArray();
        var signing = new JsonArray();
        for (var i = 0; i < s.Keys.SigningKeys.Length; i++)
        {
            var id = $"{did}#signing-{i}";
            methods.Add(Method(id, "Ed25519VerificationKey2020", did, Ed25519Multicodec, s.Keys.SigningKeys[i]));
            signing.Add(id);
        }

        var agreement = new JsonArray();
        foreach (var k in s.KeyAgreementKeys.Where(k => k.IsActive))
        {
            var id = $"{did}#{k.Id}";
            methods.Add(Method(id, "X25519KeyAgreementKey2020", did, X25519Multicodec, k.Key));
            agreement.Add(id);
        }

        var deactivated = s.Status == IdentityStatus.Deactivated;
        var document = new JsonObject
        {
            ["@context"] = new JsonArray("https://www.w3.org/ns/did/v1", "https://w3id.org/security/suites/ed25519-2020/v1", "https://w3id.org/security/suites/x25519-2020/v1"),
            ["id"] = did,
            // A deactivated identity has no usable keys: resolvers return an empty document with the flag.
            ["verificationMethod"] = deactivated ? new JsonArray() : methods,
            ["authentication"] = deactivated ? new JsonArray() : signing.DeepClone(),
            ["assertionMethod"] = deactivated ? new JsonArray() : signing.DeepClone(),
            ["keyAgreement"] = deactivated ? new JsonArray() : agreement,
        };

        return new JsonObject
        {
            ["@context"] = "https://w3id.org/did-resolution/v1",
            ["didDocument"] = document,
            ["didResolutionMetadata"] = new JsonObject { ["contentType"] = "application/did+ld+json" },
            ["didDocumentMetadata"] = new JsonObject
            {
                ["deactivated"] = deactivated,
                ["versionId"] = s.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["createdAtHeight"] = s.CreatedAtHeight,
                ["updatedAtHeight"] = s.UpdatedAtHeight,
                ["status"] = s.Status.ToString(),
            },
        };
    }

    /// <summary>The resolution result of an error (<c>invalidDid</c>, <c>notFound</c>).</summary>
    public static JsonObject Error(string error, string message) => new()
    {
        ["@context"] = "https://w3id.org/did-resolution/v1",
        ["didDocument"] = null,
        ["didResolutionMetadata"] = new JsonObject { ["error"] = error, ["errorMessage"] = message },
        ["didDocumentMetadata"] = new JsonObject(),
    };

    private static JsonObject Method(string id, string type, string controller, byte[] codec, PublicKey key)
    {
        var bytes = new byte[codec.Length + PublicKey.Size];
        codec.CopyTo(bytes, 0);
        key.CopyTo(bytes.AsSpan(codec.Length));
        return new JsonObject { ["id"] = id, ["type"] = type, ["controller"] = controller, ["publicKeyMultibase"] = "z" + Base58.Encode(bytes) };
    }
}
