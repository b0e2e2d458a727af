using System.CommandLine;
using System.Text;
using Dkms.Cli.Infrastructure;
using Dkms.Core.Encoding;
using Dkms.Wallet;
using Dkms.Wallet.Encryption;

namespace Dkms.Cli.Commands;

/// <summary><c>dkms data …</c>: envelope encryption of files under the wallet's key-encrypting keys.</summary>
internal static class DataCommands
{
    public static Command Build(AppCommands app)
    {
        var data = new Command("data", "Encrypt files with a fresh data key wrapped by a key-encrypting key (KEK)");

        var encIn = new Option<string>("--in") { Description = "File to encrypt", Required = true };
        var encOut = new Option<string>("--out") { Description = "Envelope file to write", Required = true };
        var kek = new Option<string>("--kek") { Description = "Key-encrypting key name", DefaultValueFactory = _ => "default" };
        var encContext = new Option<string?>("--context") { Description = "Associated data the decryption must repeat (e.g. the file's purpose)" };
        var encrypt = new Command("encrypt", "Encrypt a file into an envelope") { encIn, encOut, kek, encContext };
        data.Subcommands.Add(app.Bind(encrypt, (ctx, _) => EncryptAsync(ctx, ctx.Get(encIn), ctx.Get(encOut), ctx.Get(kek), ctx.Get(encContext))));

        var decIn = new Option<string>("--in") { Description = "Envelope file", Required = true };
        var decOut = new Option<string>("--out") { Description = "Plaintext file to write", Required = true };
        var decContext = new Option<string?>("--context") { Description = "The associated data given at encryption" };
        var decrypt = new Command("decrypt", "Decrypt an envelope") { decIn, decOut, decContext };
        data.Subcommands.Add(app.Bind(decrypt, (ctx, _) => DecryptAsync(ctx, ctx.Get(decIn), ctx.Get(decOut), ctx.Get(decContext))));

        var files = new Argument<string[]>("envelopes") { Description = "Envelope files to rewrap in place", Arity = ArgumentArity.ZeroOrMore };
        var rewrapKek = new Option<string>("--kek") { Description = "Key-encrypting key name", DefaultValueFactory = _ => "default" };
        var rotate = new Option<bool>("--rotate") { Description = "First rotate the KEK to a new version" };
        var rewrap = new Command("rewrap", "Rewrap envelopes' data keys under the KEK's current version; the data is not re-encrypted") { files, rewrapKek, rotate };
        data.Subcommands.Add(app.Bind(rewrap, (ctx, _) => RewrapAsync(ctx, ctx.Parse.GetValue(files) ?? [], ctx.Get(rewrapKek), ctx.Get(rotate))));
        return data;
    }

    private static async Task<int> EncryptAsync(CommandContext ctx, string input, string output, string kek, string? context)
    {
        var inPath = ctx.ResolvePath(input);
        if (!File.Exists(inPath)) throw CliException.Usage($"file '{input}' does not exist");
        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        var known = wallet.Content.Keks.Any(k => k.Name == kek);
        var version = wallet.Content.KekVersion(kek);
        if (!known) wallet.Save();
        var envelope = new EnvelopeCipher(wallet.Master, ctx.Env.Random).Encrypt(kek, version, File.ReadAllBytes(inPath), Context(context));
        var outPath = ctx.ResolvePath(output);
        AtomicFile.Write(outPath, Codec.Encode(envelope));
        ctx.Emit(new { envelope = outPath, kek, version }, o => o.WriteLine($"Encrypted {input} -> {output} (KEK {kek} v{version})."));
        return ExitCodes.Ok;
    }

    private static async Task<int> DecryptAsync(CommandContext ctx, string input, string output, string? context)
    {
        var envelope = Read(ctx, input);
        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        var plain = new EnvelopeCipher(wallet.Master, ctx.Env.Random).Decrypt(envelope, Context(context));
        var outPath = ctx.ResolvePath(output);
        AtomicFile.Write(outPath, plain);
        ctx.Emit(new { output = outPath, kek = envelope.KekName, version = envelope.KekVersion, bytes = plain.Length }, o => o.WriteLine($"Decrypted {input} -> {output} ({plain.Length} bytes)."));
        return ExitCodes.Ok;
    }

    private static async Task<int> RewrapAsync(CommandContext ctx, string[] files, string kek, bool rotate)
    {
        if (files.Length == 0 && !rotate) throw CliException.Usage("give envelope files to rewrap, or --rotate");
        var envelopes = files.Select(f => (File: f, Envelope: Read(ctx, f))).ToList();
        foreach (var (file, env) in envelopes)
        {
            if (env.KekName != kek) throw CliException.Usage($"{file} is wrapped by KEK '{env.KekName}', not '{kek}' (give --kek {env.KekName})");
        }

        using var wallet = await ctx.OpenWalletAsync().ConfigureAwait(false);
        var version = rotate ? wallet.Content.RotateKek(kek) : wallet.Content.KekVersion(kek);
        var cipher = new EnvelopeCipher(wallet.Master, ctx.Env.Random);
        var done = new List<object>();
        foreach (var (file, env) in envelopes)
        {
            var from = env.KekVersion;
            if (from != version) AtomicFile.Write(ctx.ResolvePath(file), Codec.Encode(cipher.Rewrap(env, version)));
            done.Add(new { file, from, to = version });
        }

        wallet.Save();
        ctx.Emit(new { kek, version, rotated = rotate, envelopes = done }, o =>
        {
            if (rotate) o.WriteLine($"KEK {kek} rotated to version {version}.");
            foreach (var (file, env) in envelopes) o.WriteLine(env.KekVersion == version ? $"{file}: already at v{version}" : $"{file}: rewrapped v{env.KekVersion} -> v{version}");
        });
        return ExitCodes.Ok;
    }

    private static Dkms.Wallet.Encryption.Envelope Read(CommandContext ctx, string file)
    {
        var path = ctx.ResolvePath(file);
        if (!File.Exists(path)) throw CliException.Usage($"file '{file}' does not exist");
        return EnvelopeCipher.ReadEnvelope(File.ReadAllBytes(path));
    }

    private static byte[] Context(string? context) => context is null ? [] : Encoding.UTF8.GetBytes(context);
}
