using Spectre.Console;

namespace Dkms.Cli.Infrastructure;

/// <summary>Asks a person for a passphrase (never echoed). Used only when no file or environment variable gives one.</summary>
public interface IPassphraseSource
{
    /// <summary>The passphrase, or null when nobody can be asked (no terminal).</summary>
    string? Read(string prompt);
}

/// <summary>No person to ask: automation must give passphrases by file or environment variable.</summary>
public sealed class NoPassphraseSource : IPassphraseSource
{
    public static readonly NoPassphraseSource Instance = new();

    public string? Read(string prompt) => null;
}

/// <summary>Reads from the terminal without echo, prompting on stderr so stdout stays clean for --json.</summary>
public sealed class ConsolePassphraseSource : IPassphraseSource
{
    public string? Read(string prompt)
    {
        if (Console.IsInputRedirected) return null;
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return console.Prompt(new TextPrompt<string>(Markup.Escape(prompt)).Secret());
    }
}

/// <summary>A fixed answer per prompt, in order (tests).</summary>
public sealed class ScriptedPassphraseSource(params string[] answers) : IPassphraseSource
{
    private readonly Queue<string> _answers = new(answers);

    public List<string> Prompts { get; } = [];

    public string? Read(string prompt)
    {
        Prompts.Add(prompt);
        return _answers.Count > 0 ? _answers.Dequeue() : null;
    }
}
