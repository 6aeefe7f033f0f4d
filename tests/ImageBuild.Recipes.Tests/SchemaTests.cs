using System.Text.Json;
using ImageBuild.Recipes.Schema;

namespace ImageBuild.Recipes.Tests;

[TestClass]
public sealed class SchemaTests
{
    private static JsonElement LoadSchema()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "recipes", "recipe.schema.json");
        return JsonDocument.Parse(File.ReadAllText(path)).RootElement.Clone();
    }

    [TestMethod]
    public void SchemaListsExactlyTheStepKindsTheLoaderAccepts()
    {
        var schema = LoadSchema();
        var kinds = schema.GetProperty("$defs").GetProperty("step").GetProperty("properties").GetProperty("kind").GetProperty("enum")
            .EnumerateArray().Select(e => e.GetString()!).ToList();
        CollectionAssert.AreEqual(StepKinds.Default.Ordered.Select(k => k.Name).ToList(), kinds);
    }

    [TestMethod]
    public void SchemaListsExactlyEachKindsParametersAndRequiredOnes()
    {
        var defs = LoadSchema().GetProperty("$defs");
        foreach (var kind in StepKinds.Default.Ordered)
        {
            var def = defs.GetProperty(kind.Name);
            var props = def.GetProperty("properties").EnumerateObject().Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal).ToList();
            var expected = StepKinds.AllParams(kind).Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal).ToList();
            CollectionAssert.AreEqual(expected, props, $"parameters of '{kind.Name}'");
            var required = def.GetProperty("required").EnumerateArray().Select(e => e.GetString()!).OrderBy(n => n, StringComparer.Ordinal).ToList();
            CollectionAssert.AreEqual(StepKinds.AllParams(kind).Where(p => p.Required).Select(p => p.Name).OrderBy(n => n, StringComparer.Ordinal).ToList(), required, $"required of '{kind.Name}'");
            Assert.IsFalse(def.GetProperty("additionalProperties").GetBoolean(), $"'{kind.Name}' must reject unknown parameters, as the loader does");
            foreach (var p in StepKinds.AllParams(kind).Where(p => p.Type == ParamType.Enum && p.Values.Count > 0))
            {
                var values = def.GetProperty("properties").GetProperty(p.Name).GetProperty("enum").EnumerateArray().Select(e => e.GetString()!).ToList();
                CollectionAssert.AreEqual(p.Values.ToList(), values, $"values of {kind.Name}.{p.Name}");
            }
        }
    }

    [TestMethod]
    public void SchemaFileIsTheGeneratedOne()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "recipes", "recipe.schema.json");
        Assert.AreEqual(RecipeSchema.Generate(StepKinds.Default), File.ReadAllText(path),
            "recipes/recipe.schema.json is stale: regenerate it from RecipeSchema.Generate(StepKinds.Default)");
    }
}
