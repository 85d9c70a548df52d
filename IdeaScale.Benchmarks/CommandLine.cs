namespace IdeaScale.Benchmarks;

/// <summary>"--name value" pairs after the command word.</summary>
internal sealed class CommandLine(Dictionary<string, string> values)
{
    public static CommandLine Parse(IEnumerable<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        string? name = null;
        foreach (var arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (name is not null)
                {
                    values[name] = "true";
                }

                name = arg[2..];
            }
            else if (name is not null)
            {
                values[name] = arg;
                name = null;
            }
        }

        if (name is not null)
        {
            values[name] = "true";
        }

        return new CommandLine(values);
    }

    public string? this[string name] => values.TryGetValue(name, out var v) ? v : null;

    public string Require(string name) => this[name] ?? throw new ArgumentException($"--{name} is required.");
}
