#!/bin/sh
/usr/bin/updatedb
