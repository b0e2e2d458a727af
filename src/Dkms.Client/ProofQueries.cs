using Dkms.Core.Primitives;

namespace Dkms.Client;

/// <summary>The question an <c>identity.resolve</c> answer must answer: this identity, at this height (null: the latest).</summary>
public sealed record IdentityQuery(IdentityId Id, ulong? Height = null);

/// <summary>The question a <c>policy.get</c> answer must answer: this owner's policy of this id, at this height (null: the latest).</summary>
public sealed record PolicyQuery(IdentityId Owner, string PolicyId, ulong? Height = null);
