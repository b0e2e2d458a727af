using Dkms.Core.Primitives;
using MessagePack;

namespace Dkms.Core.Blocks;

/// <summary>A validator's Ed25519 node key and its voting power (a positive weight).</summary>
[MessagePackObject]
public sealed record Validator([property: Key(0)] PublicKey PublicKey, [property: Key(1)] long Power);
