package dev.cortado.operator;

/**
 * Where operators find their blobs and services: a workspace, as the runtime sees it when it builds
 * operators and nets. Keeps the registry and nets independent of the workspace class.
 */
public interface BlobScope {
  /** The blob of this name, searching parent scopes too, or null. */
  Blob getBlob(String name);

  /** The blob of this name, created in this scope when no scope has it. */
  Blob createBlob(String name);

  Services services();

  /** The folder that relative paths resolve against. */
  String rootFolder();
}
