namespace Dkms.Node.Commands;

/// <summary>Minimal "--name value" / "--flag" parsing for the small setup commands.</summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.Ordinal);

    public CommandLine(string[] args, params string[] flags)
    {
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"unexpected argument '{a}'");
            var eq = a.IndexOf('=');
            if (eq > 0) _values[a[..eq]] = a[(eq + 1)..];
            else if (flags.Contains(a)) _values[a] = null;
            else if (i + 1 < args.Length) _values[a] = args[++i];
            else throw new ArgumentException($"option {a} needs a value");
        }
    }

    public bool Has(string name) => _values.ContainsKey(name);

    public string? Get(string name) => _values.GetValueOrDefault(name);

    public string Require(string name) => Get(name) ?? throw new ArgumentException($"option {name} is required");

    public int GetInt(string name, int fallback) =>
        Get(name) is { } v ? (int.TryParse(v, out var n) ? n : throw new ArgumentException($"option {name} must be a number, got '{v}'")) : fallback;

    public void AllowOnly(params string[] names)
    {
        foreach (var k in _values.Keys)
        {
            if (!names.Contains(k)) throw new ArgumentException($"unknown option {k}");
        }
    }
}
