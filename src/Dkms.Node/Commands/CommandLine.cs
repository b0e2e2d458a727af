namespace Dkms.Node.Commands;

/// <summary>Minimal "--name value" / "--flag" parsing for the small setup commands; arguments without "--" are positional.</summary>
internal sealed class CommandLine
{
    private readonly Dictionary<string, List<string?>> _values = new(StringComparer.Ordinal);
    private readonly List<string> _positional = [];

    /// <param name="positional">How many arguments without "--" the command takes (0 refuses any).</param>
    public CommandLine(string[] args, string[] flags, int positional)
    {
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal))
            {
                if (_positional.Count >= positional) throw new ArgumentException($"unexpected argument '{a}'");
                _positional.Add(a);
                continue;
            }

            var eq = a.IndexOf('=');
            if (eq > 0) Add(a[..eq], a[(eq + 1)..]);
            else if (flags.Contains(a)) Add(a, null);
            else if (i + 1 < args.Length) Add(a, args[++i]);
            else throw new ArgumentException($"option {a} needs a value");
        }
    }

    public CommandLine(string[] args, params string[] flags) : this(args, flags, 0)
    {
    }

    public IReadOnlyList<string> Positional => _positional;

    public bool Has(string name) => _values.ContainsKey(name);

    /// <summary>The option's value; the last one when it was given more than once.</summary>
    public string? Get(string name) => _values.TryGetValue(name, out var v) ? v[^1] : null;

    /// <summary>Every value of an option that may be repeated, in the order given.</summary>
    public IReadOnlyList<string> GetAll(string name) =>
        _values.TryGetValue(name, out var v) ? [.. v.Select(x => x ?? throw new ArgumentException($"option {name} needs a value"))] : [];

    public string Require(string name) => Get(name) ?? throw new ArgumentException($"option {name} is required");

    public int GetInt(string name, int fallback) =>
        Get(name) is { } v ? (int.TryParse(v, out var n) ? n : throw new ArgumentException($"option {name} must be a number, got '{v}'")) : fallback;

    /// <summary>Options of the commands that talk to a node's RPC besides <c>--rpc</c>: its TLS trust and its token.</summary>
    public static readonly string[] RpcOptions = ["--rpc-ca", "--rpc-token-file"];

    /// <summary>A client of the node at <c>--rpc</c> (or <paramref name="fallback"/>) with <c>--rpc-ca</c> and <c>--rpc-token-file</c>.</summary>
    public Dkms.Client.DkmsRpcClient RpcClient(string fallback) => new(new Uri(Get("--rpc") ?? fallback), new Dkms.Client.RpcConnection
    {
        TrustedCertificatesFile = Get("--rpc-ca"),
        TokenFile = Get("--rpc-token-file"),
    });

    public void AllowOnly(params string[] names)
    {
        foreach (var k in _values.Keys)
        {
            if (!names.Contains(k)) throw new ArgumentException($"unknown option {k}");
        }
    }

    private void Add(string name, string? value)
    {
        if (!_values.TryGetValue(name, out var list)) _values[name] = list = [];
        list.Add(value);
    }
}
