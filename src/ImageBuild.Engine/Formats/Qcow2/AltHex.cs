namespace ImageBuild.Engine.Formats.Qcow2;

/// <summary>C's "%#x"/"%#" PRIx64 as qemu's qcow2 messages print numbers: "0x60200", but "0" for zero.</summary>
internal static class AltHex
{
    public static string Of(long v) => v == 0 ? "0" : $"0x{v:x}";

    public static string Of(ulong v) => v == 0 ? "0" : $"0x{v:x}";
}
