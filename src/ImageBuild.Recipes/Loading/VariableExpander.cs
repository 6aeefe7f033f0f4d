using System.Text;
using ImageBuild.Recipes.Model;

namespace ImageBuild.Recipes.Loading;

/// <summary>Replaces ${name} in recipe scalars with variable values; "$${" stands for a literal "${".</summary>
internal sealed class VariableExpander(IReadOnlyDictionary<string, string> variables)
{
    /// <summary>The expanded text, or null with <paramref name="error"/> set when a variable is unknown or unclosed.</summary>
    public string? Expand(string text, out string? error)
    {
        error = null;
        if (!text.Contains('$', StringComparison.Ordinal))
            return text;
        var sb = new StringBuilder();
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '$' && i + 2 < text.Length && text[i + 1] == '$' && text[i + 2] == '{')
            {
                sb.Append("${");
                i += 2;
                continue;
            }
            if (text[i] == '$' && i + 1 < text.Length && text[i + 1] == '{')
            {
                int close = text.IndexOf('}', i + 2);
                if (close < 0)
                {
                    error = $"unclosed '${{' in '{text}'";
                    return null;
                }
                string name = text[(i + 2)..close];
                if (!variables.TryGetValue(name, out var value))
                {
                    error = $"unknown variable '{name}' (declare it under 'variables:')";
                    return null;
                }
                sb.Append(value);
                i = close;
                continue;
            }
            sb.Append(text[i]);
        }
        return sb.ToString();
    }
}
