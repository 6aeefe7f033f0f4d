namespace ImageBuild.Engine.Formats.Vmdk;

/// <summary>One extent line of a descriptor (VMDK 5.0 spec, "Extent Descriptions"): access, size in sectors, kind, file, and for FLAT/VMFS the offset in sectors.</summary>
internal sealed record VmdkExtentLine(string Access, long Sectors, string Type, string FileName, long FlatOffsetSectors);
